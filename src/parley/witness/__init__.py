"""A witness (C2SP tlog-witness): cosigns a log's checkpoints only when they are consistent with the
last one it cosigned, so the log cannot show two parties two different histories."""
