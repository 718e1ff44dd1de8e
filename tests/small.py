"""A small deployment for tests that need the demo's parties and members but not its scenario: the same
parties, members and roles (``parley.demo``), their keys and API tokens, no operations, persons or
passwords (unless asked for). Loads in a fraction of a second, where the demo takes seconds."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from parley.db import writing
from parley.demo import PARTIES, build_members
from parley.errors import ParleyError
from parley.log.note import Signer
from parley.parties.credentials import credential, hash_password, set_custody_signer, token_hash
from parley.records.compose import compose
from parley.runtime import Runtime


class Small:
    """The members of the small deployment, with the interface of ``tests.conftest.Demo``."""

    def __init__(self, members: dict[str, Any], passwords: dict[str, str]) -> None:
        self.members = members
        self.passwords = passwords

    def signer(self, member: str) -> Signer:
        return self.members[member].signer

    def token(self, member: str) -> str:
        return self.members[member].token

    def password(self, member: str) -> str:
        return self.passwords[member]

    def headers(self, member: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(member)}"}


def load_small_into(rt: Runtime, *, passwords: Iterable[str] = ()) -> Small:
    """The demo's parties and members, appended through the pipeline; ``passwords``: members who may sign in
    on the web (an Argon2 hash each, so only those a test needs)."""
    members = build_members()
    items: list[tuple[bytes, Any]] = []
    clock = [datetime.now(UTC) - timedelta(minutes=5)]

    def add(author: str, kind: str, payload: Any) -> None:
        clock[0] += timedelta(milliseconds=10)
        items.append((compose(members[author].signer, origin=rt.settings.log_origin, kind=kind, audience="all",
                              payload=payload, time=clock[0]), payload))

    first = members["icrc/admin"]
    add("icrc/admin", "deployment.init", {"party": "icrc", "party_kind": "mediator", "names": PARTIES[0]["names"],
                                          "member": "admin", "display_name": first.display_name,
                                          "vkey": first.signer.vkey()})
    for p in PARTIES[1:]:
        add("icrc/admin", "party.create", {"slug": p["slug"], "kind": p["kind"], "names": p["names"]})
    for m in members.values():
        if m.id == "icrc/admin":
            continue
        admin = f"{m.party}/admin" if f"{m.party}/admin" in members and m.handle != "admin" else "icrc/admin"
        add(admin, "member.create", {"party": m.party, "handle": m.handle, "display_name": m.display_name,
                                     "roles": m.roles, "vkey": m.signer.vkey()})
    errors = [r for r in rt.pipeline.submit_many(items) if isinstance(r, ParleyError)]
    assert not errors, errors[0].message
    chosen = set(passwords)
    with writing(rt.sessions) as s:
        for m in members.values():
            cred = credential(s, m.id)
            cred.token_hash = token_hash(m.token)
            if m.id in chosen:
                cred.password_hash = hash_password(m.password)
            set_custody_signer(s, rt.settings.secret_key, m.signer)
    return Small(members, {m: members[m].password for m in chosen})


@pytest.fixture
def small(runtime: Runtime) -> Small:
    return load_small_into(runtime)


@pytest.fixture
def small_client(runtime: Runtime, small: Small) -> Iterator[TestClient]:
    from parley.app import create_app

    with TestClient(create_app(runtime.settings, runtime)) as c:
        yield c
