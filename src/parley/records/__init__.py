"""The one write path: the record format, the record kinds and their registry, the read policy, ids in
a party's namespace, and the pipeline that verifies, authorises, applies and appends. Knows no capability."""
