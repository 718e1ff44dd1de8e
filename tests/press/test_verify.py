"""The demo's released statements as anyone reads them, and ``parley log verify-statement`` over their bundles:
a bundle as served verifies (signatures too, given the members' keys); a tampered one fails, saying why; an
embargoed statement is nowhere on the public side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from parley.press.cli import verify_statement

# ``parley log verify-statement`` (registered by ``parley.cli``), on its own.
app = typer.Typer()
app.command("verify-statement")(verify_statement)
app.callback()(lambda: None)

RELEASED = {"ua-statement-corridors-understanding", "ua-statement-azovstal-exit", "ua-statement-defenders-alive",
            "ua-statement-remains-returned", "ua-statement-pow-exchange"}
EMBARGOED = "ua-statement-exit-completed"  # until the demo's exit from Azovstal is completed: it never is


def run(*args: Any) -> Any:
    return CliRunner().invoke(app, ["verify-statement", *map(str, args)])


def test_the_demo_releases_the_seeds_statements_and_keeps_the_embargoed_one(client, demo):
    public = {st["id"]: st for st in client.get("/api/public/statements").json()["statements"]}
    assert set(public) == RELEASED
    assert "понад 200" in public["ua-statement-remains-returned"]["text"]["texts"]["uk"]["body"]
    assert "temporary ceasefire" in public["ua-statement-corridors-understanding"]["text"]["texts"]["en"]["body"]
    assert public["ua-statement-pow-exchange"]["text"]["embargo"] == {"exchange": "icrc-pow-exchange-demo"}
    # Released when the mediator declared the exchange completed, not when it was approved.
    assert public["ua-statement-pow-exchange"]["released_at"] <= "2022-09-30T08:20:00+00:00"
    mine = {st["id"]: st for st in client.get("/api/statements", headers=demo.headers("ua/press")).json()[
        "statements"]}
    assert mine[EMBARGOED]["state"] == "approved"
    assert mine[EMBARGOED]["waiting_for"] == "until operation ua-azovstal-exit is completed"
    for path in (f"/api/public/statements/{EMBARGOED}", f"/api/statements/{EMBARGOED}"):
        assert client.get(path, headers=demo.headers("ru/negotiator")).status_code == 404
    assert "Azovstal completed" not in client.get("/api/public/feed.atom").text
    # Russia's members see no statement of their own (the demo has none) and Ukraine's released ones.
    assert client.get("/api/statements", headers=demo.headers("ru/negotiator")).json()["statements"] == []


def test_a_bundle_verifies_and_a_tampered_one_fails(client, demo, runtime, tmp_path: Path):
    bundle = client.get("/api/public/statements/ua-statement-azovstal-exit").json()
    log_key = runtime.log_signer.vkey()
    f = tmp_path / "statement.json"
    f.write_text(json.dumps(bundle), encoding="utf-8")
    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join(demo.signer(m).vkey() for m in ("ua/press", "ua/negotiator")), encoding="utf-8")
    r = run(f, "--log-key", log_key, "--keys", keys)
    assert r.exit_code == 0, r.output
    assert "statement ua-statement-azovstal-exit: verified" in r.output and "approved by ua/negotiator" in r.output
    # Without the log key: checked against the bundle's own, and said so; without keys, signatures unchecked.
    r = run(f)
    assert r.exit_code == 0 and "the log key the bundle itself names" in r.output and "signatures not" in r.output

    def tampered(change: Any, why: str) -> None:
        b = json.loads(json.dumps(bundle))
        change(b)
        f.write_text(json.dumps(b), encoding="utf-8")
        r = run(f, "--log-key", log_key)
        assert r.exit_code == 1 and why in r.output, r.output

    tampered(lambda b: b["text"]["texts"]["en"].update(body="More than 300 servicemen left."),
             "the text shown is not the text signed")
    tampered(lambda b: b["records"][0].update(payload=b["records"][0]["payload"].replace("253", "254").replace(
        "53", "54")), "the payload is not the one its signed text names")
    tampered(lambda b: b["records"][0].update(note=b["records"][0]["note"].replace("ua/press", "ua/admin", 1)),
             "record ")
    tampered(lambda b: b["records"].pop(), "a released statement is one version and its approval")
    # A bundle checked against another log's key fails.
    from parley.log.note import Signer

    other = Signer.generate(runtime.settings.log_origin).vkey()
    f.write_text(json.dumps(bundle), encoding="utf-8")
    r = run(f, "--log-key", other)
    assert r.exit_code == 1 and "FAILED" in r.output
    # The wrong member's key: the signature check fails.
    keys.write_text(demo.signer("ua/admin").vkey(), encoding="utf-8")
    r = run(f, "--log-key", log_key, "--keys", keys)
    assert r.exit_code == 1 and "not signed by a key given for ua/press" in r.output
    # Not a bundle at all.
    f.write_text("[1, 2]", encoding="utf-8")
    assert run(f).exit_code == 1
    f.write_text("{", encoding="utf-8")
    assert run(f).exit_code == 2
