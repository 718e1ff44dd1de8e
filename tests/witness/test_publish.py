"""Publishing: a checkpoint reaches /log/checkpoint only when the policy's witnesses have cosigned."""

from __future__ import annotations

import socket

import pytest

from parley.demo_witnesses import start_witnesses
from parley.log.note import Verifier
from parley.log.policy import parse_policy
from parley.log.store import latest_checkpoint
from parley.logserver.publish import Publisher
from parley.records.compose import compose
from tests.conftest import ORIGIN, load_demo_into, make_runtime


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture
def witnessed(tmp_path):
    from parley.runtime import create_log_key
    from tests.conftest import make_settings

    url = f"sqlite:///{tmp_path / 'parley.db'}"
    key = create_log_key(make_settings(url, tmp_path))
    policy, _urls, servers = start_witnesses(tmp_path / "witnesses", "127.0.0.1", ORIGIN, key.vkey(),
                                            ["ua", "ru", "icrc"], free_port)
    rt = make_runtime(url, tmp_path, witness_policy=policy)
    yield rt, policy, servers
    rt.close()
    for s in servers:
        s.should_exit = True


def test_checkpoint_published_only_with_quorum(witnessed):
    rt, policy, servers = witnessed
    demo = load_demo_into(rt)
    with rt.sessions() as s:
        assert latest_checkpoint(s, published=True) is None  # signed, not yet cosigned
    pub = Publisher(rt)
    assert pub.publish_once()
    with rt.sessions() as s:
        cp = latest_checkpoint(s, published=True)
        from parley.log.store import checkpoint_with_cosignatures

        note = checkpoint_with_cosignatures(s, cp)
    checked, names = parse_policy(policy).verify_checkpoint(note)
    assert names == {"ua-witness", "ru-witness", "icrc-witness"} and checked.size == cp.size
    # Growth: the witnesses get a consistency proof from the size they cosigned.
    signer = demo.signer("ua/negotiator")
    rt.pipeline.submit(compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "x"}),
                       {"text": "x"})
    assert pub.publish_once()
    # A belligerent's witness down: nothing new is published.
    rt.pipeline.submit(compose(signer, origin=ORIGIN, kind="record.note", audience="all", payload={"text": "y"}),
                       {"text": "y"})
    servers[1].should_exit = True  # ru
    import time

    time.sleep(0.5)
    assert not pub.publish_once()
    with rt.sessions() as s:
        assert latest_checkpoint(s, published=True).size < latest_checkpoint(s).size
    assert Verifier.from_vkey(rt.log_signer.vkey()).name == ORIGIN


def test_auditor_requires_the_policy_quorum(witnessed, tmp_path):
    from fastapi.testclient import TestClient

    from parley.app import create_app
    from parley.logserver.audit import AuditError, Auditor

    rt, policy, _servers = witnessed
    demo = load_demo_into(rt)
    assert Publisher(rt).publish_once()
    client = TestClient(create_app(rt.settings, rt))
    report = Auditor("", rt.log_signer.vkey(), tmp_path / "a", demo.token("ua/negotiator"),
                     policy=parse_policy(policy), client=client, kinds=rt.kinds).run()
    assert report.ok
    # A policy naming a witness that never cosigned this log is not met: the audit refuses the checkpoint.
    from parley.log.note import Cosigner

    stranger = Cosigner.generate("witness.elsewhere")
    stricter = policy.replace("quorum required", f"witness other {stranger.vkey()}\ngroup strict all required other\n"
                              "quorum strict")
    with pytest.raises(AuditError):
        Auditor("", rt.log_signer.vkey(), tmp_path / "b", demo.token("ua/negotiator"),
                policy=parse_policy(stricter), client=client, kinds=rt.kinds).run()
