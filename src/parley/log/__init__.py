"""The transparency log."""
