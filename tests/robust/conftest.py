"""A small deployment for these tests: the demo's parties and members with their credentials, without the
demo's scenario (a second to load instead of ten)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from parley.db import writing
from parley.demo import build_members, scenario_records
from parley.parties.credentials import credential, hash_password, set_custody_signer, token_hash
from parley.runtime import Runtime

# deployment.init, four party.create and fifteen member.create.
SETUP_RECORDS = 20


def load_demo_members(rt: Runtime) -> dict[str, Any]:
    """Loads the demo's parties and members (their password and API token hashes, custodial keys); answers
    the members as ``parley.demo.build_members`` made them, by id."""
    members = build_members()
    records = scenario_records(rt.settings.log_origin, members)[:SETUP_RECORDS]
    assert all(not isinstance(r, Exception) for r in rt.pipeline.submit_many(records, historical=True))
    with writing(rt.sessions) as s:
        for m in members.values():
            cred = credential(s, m.id)
            cred.password_hash = hash_password(m.password)
            cred.token_hash = token_hash(m.token)
            set_custody_signer(s, rt.settings.secret_key, m.signer)
    return members


def small_deployment(rt: Runtime) -> dict[str, str]:
    """Loads the demo's parties and members; answers each member's API token."""
    return {m.id: m.token for m in load_demo_members(rt).values()}


@pytest.fixture
def tokens(runtime: Runtime) -> dict[str, str]:
    return small_deployment(runtime)


@pytest.fixture
def small_client(runtime: Runtime, tokens: dict[str, str]) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from parley.app import create_app

    with TestClient(create_app(runtime.settings, runtime)) as c:
        yield c


def bearer(tokens: dict[str, str], member: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[member]}"}
