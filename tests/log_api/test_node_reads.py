"""The log's nodes read for proofs (``store.DbNodes``): one statement per proof on the driver's own connection,
in chunks; with a driver of another parameter style, the same reads as SQLAlchemy expressions. Every way gives
the nodes the tree has: each record's inclusion proof verifies against the log's checkpoint."""

from __future__ import annotations

import pytest

from parley.log import merkle, store
from parley.log.store import DbNodes, NodeCache, latest_checkpoint


@pytest.mark.parametrize("way", ["driver", "chunked", "expressions"])
def test_nodes_read_every_way_prove_every_record(runtime, demo, monkeypatch, way) -> None:  # type: ignore[no-untyped-def]
    if way == "chunked":
        monkeypatch.setattr(store, "MAX_NODES_PER_STATEMENT", 3)
    if way == "expressions":
        monkeypatch.setattr(store, "_MARKS", {})
    with runtime.sessions() as s:
        cp = latest_checkpoint(s)
        assert cp is not None and cp.size > 20
        nodes = DbNodes(s, NodeCache())
        assert merkle.root_hash(nodes, cp.size) == cp.root_hash
        leaves = DbNodes(s, NodeCache()).full_nodes([(0, i) for i in range(cp.size)])
        for i in range(0, cp.size, 7):
            proof = merkle.inclusion_proof(DbNodes(s, NodeCache()), i, cp.size)  # a cold cache each time
            merkle.verify_inclusion(leaves[i], i, cp.size, proof, cp.root_hash)
        with pytest.raises(LookupError, match="missing"):
            DbNodes(s, NodeCache()).full_nodes([(0, cp.size + 5)])
