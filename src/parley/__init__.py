"""Parley: the shared, verifiable record of humanitarian agreements negotiated through mediators."""

__version__ = "0.1.0"
