"""A record that gives a member a key and the credential the server keeps for it (a password's hash, a
token's, the custodial key) are stored in one transaction: both or neither, whatever fails."""

from __future__ import annotations

import pytest

from parley.errors import Conflict, Unprocessable
from parley.log.note import Signer
from parley.parties.credentials import check_password, custody_signer, local_credential, token_hash
from parley.parties.models import Credential, Member
from parley.records import pipeline as pipeline_module
from parley.records.compose import compose
from tests.conftest import ORIGIN


def member_create(demo, handle: str, signer: Signer):  # type: ignore[no-untyped-def]
    payload = {"party": "ua", "handle": handle, "display_name": handle, "roles": ["registrar"], "vkey": signer.vkey()}
    note = compose(demo.signer("ua/admin"), origin=ORIGIN, kind="member.create", audience="all", payload=payload)
    return note, payload


def stored(runtime, member: str) -> tuple[Member | None, Credential | None]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as s:
        return s.get(Member, member), s.get(Credential, member)


def test_the_credential_comes_with_its_record(runtime, demo):
    signer = Signer.generate("ua/clerk")
    note, payload = member_create(demo, "clerk", signer)
    local = local_credential(runtime.settings.secret_key, signer=signer, password_hash=_hash("a long password"),
                             token_hash=token_hash("pt_clerk"))
    runtime.pipeline.submit(note, payload, local=local)
    member, cred = stored(runtime, "ua/clerk")
    assert member is not None and cred is not None
    assert check_password(cred.password_hash, "a long password") and cred.token_hash == token_hash("pt_clerk")
    with runtime.sessions() as s:
        held = custody_signer(s, runtime.settings.secret_key, "ua/clerk")
    assert held is not None and held.key_id == signer.key_id


def test_a_refused_record_keeps_no_credential(runtime, demo):
    signer = Signer.generate("ua/registrar")
    note, payload = member_create(demo, "registrar", signer)  # the demo has ua/registrar already
    before = stored(runtime, "ua/registrar")[1]
    assert before is not None
    with pytest.raises(Conflict):
        runtime.pipeline.submit(note, payload, local=local_credential(runtime.settings.secret_key, signer=signer,
                                                                       password_hash=_hash("another password")))
    after = stored(runtime, "ua/registrar")[1]
    assert after is not None and after.password_hash == before.password_hash and after.custody_key == before.custody_key


def test_a_custodial_key_must_be_the_key_the_record_registers(runtime, demo):
    signer, other = Signer.generate("ua/clerk"), Signer.generate("ua/clerk")
    note, payload = member_create(demo, "clerk", signer)
    with pytest.raises(Unprocessable, match="not the key this record registers"):
        runtime.pipeline.submit(note, payload, local=local_credential(runtime.settings.secret_key, signer=other))
    assert stored(runtime, "ua/clerk") == (None, None)


def test_a_batch_that_fails_after_apply_stores_neither(runtime, demo, monkeypatch):
    """A failure between applying the record and committing (here: signing the checkpoint) loses both."""
    signer = Signer.generate("ua/clerk")
    note, payload = member_create(demo, "clerk", signer)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk gone")

    monkeypatch.setattr(pipeline_module, "sign_checkpoint", broken)
    with pytest.raises(Conflict, match="could not store this batch"):
        runtime.pipeline.submit(note, payload, local=local_credential(runtime.settings.secret_key, signer=signer,
                                                                       password_hash=_hash("a long password")))
    monkeypatch.undo()
    assert stored(runtime, "ua/clerk") == (None, None)


def _hash(password: str) -> str:
    from parley.parties.credentials import hash_password

    return hash_password(password)
