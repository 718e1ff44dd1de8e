"""Argon2's cost is a setting: a deployment hashes with RFC 9106's second recommended profile unless told
otherwise, the runtime applies the settings' cost to new hashes, and hashes made at another cost still
verify (each hash carries its parameters)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from parley.parties import credentials
from parley.settings import Settings
from tests.conftest import CHEAP_HASHING, SECRET, make_runtime, make_settings, open_copy


def test_a_deployment_defaults_to_rfc_9106(monkeypatch):
    for name in CHEAP_HASHING:
        monkeypatch.delenv(name)
    s = Settings(secret_key=SECRET)
    assert (s.password_hash_time_cost, s.password_hash_memory_kib, s.password_hash_parallelism) == (3, 65536, 4)


@pytest.mark.parametrize("field,value", [("password_hash_time_cost", 0), ("password_hash_memory_kib", 512),
                                         ("password_hash_parallelism", 0)])
def test_a_cost_below_argon2s_floor_refuses_to_start(field, value):
    with pytest.raises(ValidationError):
        Settings(secret_key=SECRET, **{field: value})


def test_the_runtime_hashes_at_the_settings_cost(sqlite_url, tmp_path):
    make_runtime(sqlite_url, tmp_path).close()
    try:
        open_copy(sqlite_url, tmp_path, password_hash_time_cost=2, password_hash_memory_kib=2048,
                  password_hash_parallelism=1).close()
        stored = credentials.hash_password("correct horse battery")
        assert stored.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
        assert credentials.check_password(stored, "correct horse battery")
        # Back at the suite's cost, the hash made at the other cost still verifies.
        open_copy(sqlite_url, tmp_path).close()
        assert credentials.hash_password("x" * 12).startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert credentials.check_password(stored, "correct horse battery")
    finally:
        credentials.use_hash_cost(time_cost=1, memory_cost=1024, parallelism=1)


def test_settings_made_by_the_suite_are_cheap(tmp_path):
    s = make_settings("sqlite://", tmp_path)
    assert (s.password_hash_time_cost, s.password_hash_memory_kib, s.password_hash_parallelism) == (1, 1024, 1)
