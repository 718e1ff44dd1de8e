"""What the server keeps between requests and between batches, and when it forgets: the member behind an API
token (``parties.principal.Principals``) and the authors' rows the appender read (``records.pipeline.KeptRows``).
A change made through this server is seen by the very next request or record; a change made by another
writer on the same database, by the next batch (rows) or within the cache's time (tokens)."""

from __future__ import annotations

from parley.assembly import open_runtime
from parley.errors import Unauthorized
from parley.parties.credentials import token_hash
from parley.parties.principal import Principal, Principals
from parley.records.compose import compose
from tests.conftest import ORIGIN

P = Principal(member="ua/press", party="ua", party_kind="belligerent", roles=frozenset({"press"}),
              display_name="Press")


def test_principals_keep_for_their_time_and_not_across_a_clearing():
    now = [0.0]
    cache = Principals(ttl=2.0, limit=2, clock=lambda: now[0])
    cache.put("t:a", P, cache.generation)
    assert cache.get("t:a") is P
    now[0] = 2.5
    assert cache.get("t:a") is None  # expired
    # A lookup that began before a clearing is not kept: it may have read the old row.
    began = cache.generation
    cache.clear()
    cache.put("t:a", P, began)
    assert cache.get("t:a") is None
    # At most ``limit`` entries: the oldest goes.
    for key in ("t:a", "t:b", "t:c"):
        cache.put(key, P, cache.generation)
    assert cache.get("t:a") is None and cache.get("t:c") is P
    off = Principals(ttl=0)
    off.put("t:a", P, off.generation)
    assert off.get("t:a") is None


def test_a_deactivated_members_token_is_refused_on_the_next_request(sqlite_client, sqlite_demo, sqlite_runtime):
    c, demo = sqlite_client, sqlite_demo
    assert c.get("/api/parties", headers=demo.headers("ua/press")).status_code == 200
    assert sqlite_runtime.principals.get("t:" + token_hash(demo.token("ua/press"))) is not None  # now kept
    r = c.post("/api/actions", headers=demo.headers("ua/admin"), json={
        "kind": "member.update", "audience": ["all"], "payload": {"member": "ua/press", "active": False}})
    assert r.status_code == 201, r.text
    r = c.get("/api/parties", headers=demo.headers("ua/press"))
    assert r.status_code == 401 and r.json()["code"] == "auth.member_inactive"


def test_kept_rows_are_forgotten_when_another_writer_moves_the_log(sqlite_runtime, sqlite_demo):
    rt, signer = sqlite_runtime, sqlite_demo.signer("ru/liaison")

    def note(text: str) -> tuple[bytes, dict[str, str]]:
        payload = {"text": text}
        return compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload), payload

    rt.pipeline.submit(*note("read once, kept for the next batch"))
    assert rt.pipeline._kept._rows  # the author's key, member and party are kept
    # Another server on the same database revokes the key: this one has not seen that batch.
    other = open_runtime(rt.settings)
    try:
        revoke = {"member": "ru/liaison", "key_id": signer.key_id.hex(), "reason": "device lost"}
        other.pipeline.submit(compose(signer, origin=ORIGIN, kind="key.revoke", audience="all", payload=revoke),
                              revoke)
    finally:
        other.close()
    try:
        rt.pipeline.submit(*note("signed with the revoked key"))
    except Unauthorized as exc:
        assert exc.refusal == "record.key_revoked"
    else:
        raise AssertionError("a record signed with a key another writer revoked was accepted")
