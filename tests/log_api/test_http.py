"""The HTTP API and the log's C2SP endpoints: authentication, audience per role, tiles, proofs."""

from __future__ import annotations

import base64

import pytest

from parley.log import merkle, tiles
from parley.log.checkpoint import Checkpoint
from parley.log.note import Verifier, open_note
from parley.log.proof import parse_tlog_proof, verify_tlog_proof
from parley.records.compose import compose
from tests.conftest import ORIGIN

PRIVATE = "party:icrc,party:ua"  # the demo's ua/liaison note is addressed to these (tokens sorted)


def private_index(client, demo) -> int:
    recs = client.get("/api/log/records?limit=5000", headers=demo.headers("icrc/auditor")).json()["records"]
    return next(r["index"] for r in recs if r["audience"] == PRIVATE)


@pytest.mark.parametrize("path", ["/api/me", "/api/parties", "/api/keys", "/api/log/records", "/log/checkpoint",
                                  "/log/key", "/log/tile/0/000.p/1", "/api/log/checkpoints"])
def test_every_endpoint_needs_credentials(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get(path, headers={"Authorization": "Basic abc"}).status_code == 401


def test_audience_is_enforced_per_role(client, demo):
    idx = private_index(client, demo)
    for member, sees in [("ua/negotiator", True), ("ua/press", True), ("icrc/mediator", True),
                         ("icrc/auditor", True), ("un-ocha/liaison", True), ("ru/negotiator", False),
                         ("ru/admin", False), ("tr/observer", False)]:
        h = demo.headers(member)
        listed = {r["index"] for r in client.get("/api/log/records?limit=5000", headers=h).json()["records"]}
        assert (idx in listed) is sees, member
        assert client.get(f"/api/log/records/{idx}", headers=h).status_code == (200 if sees else 404), member


def test_the_listing_in_ranges(client, demo):
    """``end`` bounds the listing (an auditor reading ranges in parallel): ``next`` is null once the range is
    listed, ``size`` is still the log's, and a reader sees only what it may read within the range."""
    h = demo.headers("ru/negotiator")
    whole = client.get("/api/log/records?limit=5000", headers=h).json()
    size = whole["size"]
    readable = [r["index"] for r in whole["records"]]
    page = client.get("/api/log/records?start=100&end=300&limit=5000", headers=h).json()
    assert [r["index"] for r in page["records"]] == [i for i in readable if 100 <= i < 300]
    assert page["next"] is None and page["size"] == size
    first = client.get("/api/log/records?start=100&end=300&limit=10", headers=h).json()
    assert [r["index"] for r in first["records"]] == [i for i in readable if 100 <= i < 300][:10]
    assert first["next"] == first["records"][-1]["index"] + 1
    beyond = client.get(f"/api/log/records?start=100&end={size + 1000}&limit=5000", headers=h).json()
    assert [r["index"] for r in beyond["records"]] == [i for i in readable if i >= 100] and beyond["next"] is None
    assert client.get("/api/log/records?start=10&end=0", headers=h).status_code == 422


def test_entry_bundles_only_for_readers_of_everything(client, demo):
    size = int(client.get("/log/checkpoint", headers=demo.headers("ua/negotiator")).text.split("\n")[1])
    # The last tile, partial: the demo's records beyond the full tiles.
    last, width = divmod(size, tiles.TILE_WIDTH)
    assert width, "the demo's size is a multiple of the tile width: pick another tile for this test"
    path = "/log/" + tiles.tile_path(-1, last, width)
    assert client.get(path, headers=demo.headers("ua/negotiator")).status_code == 403
    r = client.get(path, headers=demo.headers("icrc/auditor"))
    assert r.status_code == 200
    entries = tiles.decode_entry_bundle(r.content)
    assert len(entries) == width
    # Hash tiles are for every member, so anyone can check consistency without reading content.
    t = client.get("/log/" + tiles.tile_path(0, last, width), headers=demo.headers("ru/registrar"))
    assert t.status_code == 200 and t.content == b"".join(merkle.leaf_hash(e) for e in entries)
    beyond = "/log/" + tiles.tile_path(0, last, width + 1)
    assert client.get(beyond, headers=demo.headers("ru/registrar")).status_code == 404
    assert client.get("/log/" + tiles.tile_path(0, last), headers=demo.headers("ru/registrar")).status_code == 404
    assert client.get("/log/tile/0/x/../../etc", headers=demo.headers("ru/registrar")).status_code == 404


def test_checkpoint_and_inclusion_proof_verify(client, demo):
    h = demo.headers("ru/negotiator")
    vkey = client.get("/log/key", headers=h).text.strip()
    log_key = Verifier.from_vkey(vkey)
    text, verified, _ = open_note(client.get("/log/checkpoint", headers=h).content, [log_key])
    cp = Checkpoint.parse(text)
    assert cp.origin == ORIGIN and verified
    rec = client.get("/api/log/records/3", headers=h).json()
    got = verify_tlog_proof(parse_tlog_proof(rec["proof"].encode()), rec["note"].encode(), log_key)
    assert got.size == cp.size


def test_consistency_proofs(client, demo):
    h = demo.headers("ru/negotiator")
    size = int(client.get("/log/checkpoint", headers=h).text.split("\n")[1])
    cps = client.get("/api/log/checkpoints", headers=h).json()["checkpoints"]
    roots = {c["size"]: base64.b64decode(c["root_hash"]) for c in cps}
    note = compose(demo.signer("ru/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                   payload={"text": "more"})
    assert client.post("/api/records", json={"note": note.decode(), "payload": {"text": "more"}},
                       headers=h).status_code == 201
    cps = client.get("/api/log/checkpoints", headers=h).json()["checkpoints"]
    new = cps[0]
    proof = client.get(f"/api/log/consistency?old={size}&new={new['size']}", headers=h).json()["proof"]
    merkle.verify_consistency(size, new["size"], [base64.b64decode(p) for p in proof], roots[size],
                              base64.b64decode(new["root_hash"]))
    assert client.get("/api/log/consistency?old=5&new=2", headers=h).status_code == 400
    assert client.get("/api/log/consistency?old=0&new=2", headers=h).status_code == 422


def test_submit_over_http(client, demo):
    h = demo.headers("ua/registrar")
    payload = {"text": "list of persons held will follow through the ICRC"}
    note = compose(demo.signer("ua/registrar"), origin=ORIGIN, kind="record.note", audience=PRIVATE, payload=payload)
    r = client.post("/api/records", json={"note": note.decode(), "payload": payload}, headers=h)
    assert r.status_code == 201, r.text
    receipt = r.json()
    again = client.post("/api/records", json={"note": note.decode(), "payload": payload}, headers=h)
    assert again.status_code == 200 and again.json()["index"] == receipt["index"] and again.json()["duplicate"]
    # Sending another member's record is refused even though the signature is theirs.
    assert client.post("/api/records", json={"note": note.decode(), "payload": payload},
                       headers=demo.headers("ua/press")).status_code == 403


@pytest.mark.parametrize("body,status", [
    ({"note": "garbage", "payload": {}}, 400),
    ({"payload": {}}, 422),
    ({"note": "x", "payload": {}, "extra": 1}, 422),
    ("not json", 422),
])
def test_bad_requests(client, demo, body, status):
    h = demo.headers("ua/registrar")
    r = client.post("/api/records", json=body, headers=h) if not isinstance(body, str) else \
        client.post("/api/records", content=body, headers={**h, "content-type": "application/json"})
    assert r.status_code == status, r.text
    assert "error" in r.json()


def test_oversized_body_is_refused_before_reading(client, demo):
    h = demo.headers("ua/registrar")
    r = client.post("/api/records", content=b"x" * (2 << 20), headers={**h, "content-type": "application/json"})
    assert r.status_code == 413


def test_custodial_signing_action(client, demo):
    h = demo.headers("ua/press")
    r = client.post("/api/actions", json={"kind": "record.note", "audience": ["all"],
                                          "payload": {"text": "signed by the server for me"}}, headers=h)
    assert r.status_code == 201, r.text
    rec = client.get(f"/api/log/records/{r.json()['index']}", headers=h).json()
    assert rec["author"] == "ua/press"
    r = client.post("/api/actions", json={"kind": "party.create", "audience": ["all"],
                                          "payload": {"slug": "q", "kind": "observer",
                                                      "names": {"en": "Q", "uk": "Q", "ru": "Q"}}}, headers=h)
    assert r.status_code == 403


def test_keys_listing_is_public_to_members(client, demo):
    keys = client.get("/api/keys", headers=demo.headers("ru/liaison")).json()["keys"]
    assert {k["member"] for k in keys} == set(demo.signins)
    assert all(k["status"] == "active" for k in keys)
