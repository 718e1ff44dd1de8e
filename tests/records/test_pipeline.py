"""The one write path: verify → authorise → validate → append → apply → receipt, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from parley.errors import BadRequest, Forbidden, NotFound, TooLarge, Unauthorized, Unprocessable, Conflict
from parley.log.merkle import leaf_hash
from parley.log.models import LogEntry, LogHead
from parley.log.note import Signature, Signer, Verifier, parse_note, sign_note
from parley.log.proof import parse_tlog_proof, verify_tlog_proof
from parley.parties.models import Member, MemberKey, Party
from parley.records.compose import compose
from parley.records.pipeline import Receipt
from tests.conftest import ORIGIN


def size(rt) -> int:
    with rt.sessions() as s:
        return s.get(LogHead, 1).size


def submit(rt, signer, kind, payload, audience="all", refs=(), time=None):
    note = compose(signer, origin=ORIGIN, kind=kind, audience=audience, payload=payload, refs=refs, time=time)
    return note, rt.pipeline.submit(note, payload)


def test_demo_is_loaded_through_the_log(runtime, demo):
    with runtime.sessions() as s:
        parties = {p.slug: p.kind for p in s.execute(select(Party)).scalars()}
        assert parties == {"icrc": "mediator", "ua": "belligerent", "ru": "belligerent", "un-ocha": "mediator",
                           "tr": "observer"}
        assert s.get(Member, "ua/registrar").role_set == {"registrar"}
        assert s.scalar(select(func.count()).select_from(MemberKey)) == len(demo.signins)
        assert s.scalar(select(func.count()).select_from(LogEntry)) == size(runtime)


def test_receipt_proves_inclusion_against_signed_checkpoint(runtime, demo):
    note, receipt = submit(runtime, demo.signer("ua/negotiator"), "record.note", {"text": "Round three planned."})
    assert isinstance(receipt, Receipt) and not receipt.duplicate
    proof = parse_tlog_proof(receipt.proof.encode())
    assert proof.index == receipt.index
    cp = verify_tlog_proof(proof, note, Verifier.from_vkey(runtime.log_signer.vkey()))
    assert cp.size == size(runtime) and cp.origin == ORIGIN
    with runtime.sessions() as s:
        row = s.get(LogEntry, receipt.index)
        assert row.note == note and row.leaf_hash == leaf_hash(note) and row.record_hash == receipt.record_hash


def test_same_record_twice_is_stored_once_with_the_same_receipt(runtime, demo):
    note, first = submit(runtime, demo.signer("ru/negotiator"), "record.note", {"text": "Positions on points."})
    before = size(runtime)
    again = runtime.pipeline.submit(note, {"text": "Positions on points."})
    assert again.duplicate and again.index == first.index and again.record_hash == first.record_hash
    assert size(runtime) == before
    # Two copies in one batch: one entry.
    note2 = compose(demo.signer("ru/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                    payload={"text": "x"})
    results = runtime.pipeline.submit_many([(note2, {"text": "x"}), (note2, {"text": "x"})])
    assert results[0].index == results[1].index and results[1].duplicate
    assert size(runtime) == before + 1


def refused(rt, note, payload, exc_type):
    before = size(rt)
    with pytest.raises(exc_type) as info:
        rt.pipeline.submit(note, payload)
    assert size(rt) == before, "a refused record must change nothing"
    assert info.value.message
    return info.value


def test_malformed_notes_are_refused(runtime, demo):
    payload = {"text": "hello"}
    good = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all", payload=payload)
    refused(runtime, b"not a note", payload, BadRequest)
    refused(runtime, good.replace(b"\n\n", b"\n"), payload, BadRequest)
    refused(runtime, good.replace(b"parley.record/v1", b"parley.record/v9"), payload, BadRequest)
    refused(runtime, b"\xff\xfe" + good, payload, BadRequest)
    text = good.decode().split("\n\n")[0] + "\n"
    refused(runtime, sign_note(text.replace("kind record.note", "kind record.fake"), demo.signer("ua/negotiator")),
            payload, Unprocessable)
    refused(runtime, sign_note(text.replace(f"origin {ORIGIN}", "origin other.example/log"),
                               demo.signer("ua/negotiator")), payload, Unprocessable)


def test_bad_signatures_and_keys_are_refused(runtime, demo):
    payload = {"text": "hello"}
    good = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all", payload=payload)
    # Edited after signing.
    refused(runtime, good.replace(b"audience all", b"audience public"), payload, Unauthorized)
    # Signed by a key that was never registered for this name.
    stranger = Signer.generate("ua/negotiator")
    refused(runtime, compose(stranger, origin=ORIGIN, kind="record.note", audience="all", payload=payload),
            payload, Unauthorized)
    # Signed by someone else's key under this member's name: no such key id.
    other = demo.signer("ru/negotiator")
    text = good.decode().split("\n\n")[0] + "\n"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    borrowed = Signer.from_private_key("ua/negotiator", Ed25519PrivateKey.from_private_bytes(other.seed()))
    refused(runtime, sign_note(text, borrowed), payload, Unauthorized)
    # Payload that is not the one the record commits to.
    refused(runtime, good, {"text": "something else"}, Unprocessable)


def test_revoked_key_cannot_sign(runtime, demo):
    signer = demo.signer("ru/liaison")
    _, r = submit(runtime, signer, "key.revoke", {"member": "ru/liaison", "key_id": signer.key_id.hex(),
                                                  "reason": "device lost"})
    assert r.index > 0
    note = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "still me"})
    err = refused(runtime, note, {"text": "still me"}, Unauthorized)
    assert "revoked" in err.message


def test_key_rotation_is_a_record_and_old_key_stops_working(runtime, demo):
    old = demo.signer("ua/liaison")
    new = Signer.generate("ua/liaison")
    submit(runtime, old, "key.rotate", {"member": "ua/liaison", "old_key_id": old.key_id.hex(), "vkey": new.vkey()})
    _, r = submit(runtime, new, "record.note", {"text": "signed with the new key"})
    assert r.index > 0
    refused(runtime, compose(old, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "old"}),
            {"text": "old"}, Unauthorized)
    with runtime.sessions() as s:
        keys = s.execute(select(MemberKey).where(MemberKey.member == "ua/liaison")).scalars().all()
        assert sorted(k.revoked_idx is None for k in keys) == [False, True]


def test_roles_and_parties_are_enforced(runtime, demo):
    names = {"en": "X", "uk": "Х", "ru": "Х"}
    # A negotiator may not create parties; a belligerent admin may not either.
    for who in ("ua/negotiator", "ua/admin"):
        note = compose(demo.signer(who), origin=ORIGIN, kind="party.create", audience="all",
                       payload={"slug": "x", "kind": "observer", "names": names})
        refused(runtime, note, {"slug": "x", "kind": "observer", "names": names}, Forbidden)
    # One party's admin may not add members to another party.
    payload = {"party": "ru", "handle": "mole", "display_name": "M", "roles": ["registrar"],
               "vkey": Signer.generate("ru/mole").vkey()}
    note = compose(demo.signer("ua/admin"), origin=ORIGIN, kind="member.create", audience="all", payload=payload)
    refused(runtime, note, payload, Forbidden)
    # Membership records must be readable by every member.
    payload = {"party": "ua", "handle": "secret", "display_name": "S", "roles": ["registrar"],
               "vkey": Signer.generate("ua/secret").vkey()}
    note = compose(demo.signer("ua/admin"), origin=ORIGIN, kind="member.create", audience="party:ua", payload=payload)
    refused(runtime, note, payload, Unprocessable)
    # Audience naming a party that does not exist.
    note = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="party:nowhere",
                   payload={"text": "x"})
    refused(runtime, note, {"text": "x"}, Unprocessable)


def test_state_validation(runtime, demo):
    # A second deployment.init, a duplicate party, a ref to a record that does not exist.
    signer = demo.signer("icrc/admin")
    names = {"en": "Ukraine", "uk": "Україна", "ru": "Украина"}
    refused(runtime, compose(signer, origin=ORIGIN, kind="party.create", audience="all",
                             payload={"slug": "ua", "kind": "belligerent", "names": names}),
            {"slug": "ua", "kind": "belligerent", "names": names}, Conflict)
    payload = {"party": "icrc", "party_kind": "mediator", "names": names, "member": "admin",
               "display_name": "A", "vkey": signer.vkey()}
    refused(runtime, compose(signer, origin=ORIGIN, kind="deployment.init", audience="all", payload=payload),
            payload, (Conflict, Unauthorized))  # type: ignore[arg-type]
    refused(runtime, compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                             payload={"text": "re"}, refs=["ab" * 32]), {"text": "re"}, Unprocessable)
    refused(runtime, compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                             payload={"text": ""}), {"text": ""}, Unprocessable)
    refused(runtime, compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                             payload={"text": "x", "extra": 1}), {"text": "x", "extra": 1}, Unprocessable)


def test_clock_and_size_limits(runtime, demo):
    signer = demo.signer("ua/negotiator")
    old = datetime.now(UTC) - timedelta(days=2)
    refused(runtime, compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "late"},
                             time=old), {"text": "late"}, Unprocessable)
    big = {"text": "я" * 19_000}
    note = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=big)
    assert len(note) < 65535  # the payload is stored beside the record, only its hash is in it
    many = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "x"},
                   refs=[f"{i:064x}" for i in range(65)])
    refused(runtime, many, {"text": "x"}, BadRequest)
    huge = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "x"},
                   refs=[f"{i:064x}" for i in range(2000)])
    refused(runtime, huge, {"text": "x"}, TooLarge)
    raw = sign_note("parley.record/v1\n" + "x" * 70_000 + "\n", signer)
    refused(runtime, raw, {}, TooLarge)


def test_a_stored_record_resubmitted_after_the_clock_window_gets_its_receipt(runtime, demo):
    """A record stored but never acknowledged (the server died before answering) gets its receipt whenever it
    is resubmitted: the log looks for it before it checks the clock (reliability.md D5)."""
    signer = demo.signer("ua/negotiator")
    old = datetime.now(UTC) - timedelta(minutes=11)
    note = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "stored"}, time=old)
    # Stored when its time was current (replay skips the clock, as the record's own moment had passed).
    [stored] = runtime.pipeline.submit_many([(note, {"text": "stored"})], replay=True)
    assert isinstance(stored, Receipt)
    before = size(runtime)
    again = runtime.pipeline.submit(note, {"text": "stored"})
    assert again.duplicate and again.index == stored.index and again.record_hash == stored.record_hash
    verify_tlog_proof(parse_tlog_proof(again.proof.encode()), note, Verifier.from_vkey(runtime.log_signer.vkey()))
    assert size(runtime) == before
    # A record of the same time that is not in the log is still refused for its clock, alone or in a batch.
    other = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "new"}, time=old)
    with pytest.raises(Unprocessable) as refusal:
        runtime.pipeline.submit(other, {"text": "new"})
    assert refusal.value.refusal == "record.clock_skew"
    fresh = compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "fresh"})
    out = runtime.pipeline.submit_many([(note, {"text": "stored"}), (other, {"text": "new"}),
                                        (fresh, {"text": "fresh"})])
    assert isinstance(out[0], Receipt) and out[0].duplicate and out[0].index == stored.index
    assert isinstance(out[1], Unprocessable) and out[1].refusal == "record.clock_skew"
    assert isinstance(out[2], Receipt) and out[2].index == before and size(runtime) == before + 1


def test_refused_record_in_a_batch_does_not_affect_the_others(runtime, demo):
    ok1 = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                  payload={"text": "a"})
    bad = compose(demo.signer("ua/negotiator"), origin=ORIGIN, kind="party.create", audience="all",
                  payload={"slug": "zz", "kind": "observer", "names": {"en": "Z", "uk": "З", "ru": "З"}})
    ok2 = compose(demo.signer("ru/negotiator"), origin=ORIGIN, kind="record.note", audience="all",
                  payload={"text": "b"})
    before = size(runtime)
    res = runtime.pipeline.submit_many([(ok1, {"text": "a"}), (bad, {"slug": "zz", "kind": "observer",
                                        "names": {"en": "Z", "uk": "З", "ru": "З"}}), (ok2, {"text": "b"})])
    assert isinstance(res[0], Receipt) and isinstance(res[1], Forbidden) and isinstance(res[2], Receipt)
    assert (res[0].index, res[2].index) == (before, before + 1)
    with runtime.sessions() as s:
        assert s.get(Party, "zz") is None


def test_concurrent_submissions_are_group_committed(runtime, demo):
    from concurrent.futures import ThreadPoolExecutor

    signer = demo.signer("ua/negotiator")
    items = [(compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": f"n{i}"}),
              {"text": f"n{i}"}) for i in range(200)]
    before = size(runtime)
    with ThreadPoolExecutor(16) as pool:
        receipts = list(pool.map(lambda it: runtime.pipeline.submit(*it), items))
    assert sorted(r.index for r in receipts) == list(range(before, before + 200))
    assert size(runtime) == before + 200
    log_key = Verifier.from_vkey(runtime.log_signer.vkey())
    for (note, _), r in zip(items, receipts, strict=True):
        verify_tlog_proof(parse_tlog_proof(r.proof.encode()), note, log_key)


def test_unknown_member_and_inactive_member(runtime, demo):
    admin = demo.signer("ru/admin")
    submit(runtime, admin, "member.update", {"member": "ru/registrar", "active": False})
    note = compose(demo.signer("ru/registrar"), origin=ORIGIN, kind="record.note", audience="all",
                   payload={"text": "x"})
    refused(runtime, note, {"text": "x"}, Forbidden)
    ghost = Signer.generate("ru/ghost")
    refused(runtime, compose(ghost, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "x"}),
            {"text": "x"}, Unauthorized)
    payload = {"member": "ru/nobody", "active": False}
    refused(runtime, compose(admin, origin=ORIGIN, kind="member.update", audience="all", payload=payload),
            payload, NotFound)


def test_one_batch_checks_keys_in_log_order_whatever_was_verified_before(runtime, demo):
    """Signatures are verified before the appender against the keys last seen; the appender still decides in
    log order: a key revoked earlier in the same batch refuses a record that verified, a key registered
    earlier in the same batch (unknown before) accepts one, a bad signature is refused, and the others in
    the batch are unaffected."""
    liaison, negotiator = demo.signer("ru/liaison"), demo.signer("ua/liaison")
    new = Signer.generate("ua/liaison")

    def note(signer, text):
        payload = {"text": text}
        return compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload=payload), payload

    other = demo.signer("ua/negotiator")
    submit(runtime, liaison, "record.note", {"text": "warm the verifier cache"})
    submit(runtime, other, "record.note", {"text": "warm the verifier cache"})
    revoke = {"member": "ru/liaison", "key_id": liaison.key_id.hex(), "reason": "device lost"}
    rotate = {"member": "ua/liaison", "old_key_id": negotiator.key_id.hex(), "vkey": new.vkey()}
    text, (sig,) = parse_note(note(other, "forged")[0])
    bad = Signature(sig.name, sig.key_id, bytes([sig.sig[0] ^ 1]) + sig.sig[1:])
    forged = text.encode() + b"\n" + bad.line().encode()
    items = [note(liaison, "before"),
             (compose(liaison, origin=ORIGIN, kind="key.revoke", audience="all", payload=revoke), revoke),
             note(liaison, "after"),
             (compose(negotiator, origin=ORIGIN, kind="key.rotate", audience="all", payload=rotate), rotate),
             note(new, "with the new key"),
             (forged, {"text": "forged"})]
    res = runtime.pipeline.submit_many(items)
    assert isinstance(res[0], Receipt) and isinstance(res[1], Receipt) and isinstance(res[3], Receipt)
    assert isinstance(res[2], Unauthorized) and "revoked" in res[2].message
    assert isinstance(res[4], Receipt) and res[4].index == res[3].index + 1
    assert isinstance(res[5], Unauthorized) and "does not verify" in res[5].message
