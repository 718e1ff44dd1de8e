"""``parley exchange`` against the demo app, on both databases: the demo's two exchanges read as tables (the terms,
versions and sign-offs, the lists checked against the registry, the handover board, the bodies, the
reconciliation naming the man whose receipt is not confirmed) and an act of transfer downloaded as a PDF; then a
new exchange from proposal to release: a counter-proposal, a stale signature refused with the server's message,
both signatures, an act refused before the handover, lists, consent, the solver's plan signed, the handover person
by person, each side's count, and remains tagged and identified on an exchange of remains."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from parley.exchanges.scenario import POWS, REFUSES, REMAINS

URL = "http://parley.test"


class _Shared(httpx.BaseTransport):
    """The test client's transport, shared by every client the commands open; closing one closes nothing."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


class Cli:
    """``parley exchange …`` as a demo member, against the demo app (English, 200 columns unless told)."""

    def __init__(self, demo: Any) -> None:
        self.demo, self.runner = demo, CliRunner()

    def run(self, member: str, *args: str | Path, code: int = 0, columns: int = 200, lang: str = "en") -> str:
        import parley.cli  # noqa: F401 — sets the refusals' translation, as running `parley` does
        from parley.exchanges.cli import app

        argv = [str(a) for a in args] + ["--url", URL, "--token", self.demo.token(member)]
        r = self.runner.invoke(app, argv, env={"COLUMNS": str(columns), "LANGUAGE": lang})
        assert r.exit_code == code, f"parley exchange {' '.join(argv[:-4])} → {r.exit_code}:\n{r.output}" + (
            f"\n{r.exception!r}" if r.exception and not isinstance(r.exception, SystemExit) else "")
        return " ".join(r.output.split()) if code else r.output

    def flat(self, member: str, *args: str | Path) -> str:
        """The output with its whitespace (a table's wrapping) folded to single spaces."""
        return " ".join(self.run(member, *args).split())

    def json(self, member: str, *args: str | Path) -> Any:
        return json.loads(self.run(member, *args, "--json"))


@pytest.fixture
def cli(client: Any, demo: Any, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Every HTTP client the commands open goes to the demo app of the ``client`` fixture."""
    shared = _Shared(client._transport)
    real = httpx.Client

    def routed(*args: Any, **kwargs: Any) -> httpx.Client:
        kwargs["transport"] = shared
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", routed)
    return Cli(demo)


def rows(output: str) -> list[str]:
    """A table's lines with its borders folded to single spaces."""
    return [re.sub(r"[│┃\s]+", " ", x).strip() for x in output.splitlines()]


def test_the_demo_exchanges_as_tables_and_an_act(cli: Cli, tmp_path: Path) -> None:
    listed = cli.run("ua/negotiator", "list")
    assert POWS in listed and REMAINS in listed and "prisoners, 10 for 10" in " ".join(listed.split())
    hidden = cli.run("ua/press", "show", POWS, code=1)
    assert hidden == f"refused (404): no exchange '{POWS}'"

    shown = cli.flat("ru/negotiator", "show", POWS)
    assert f"Exchange of prisoners of war, ten for ten (invented) ({POWS}): completed" in shown
    assert "between ua, ru (mediators icrc); version 2; version 2 agreed" in shown
    assert "prisoners, 10 for 10; stage 1: 10 a side on 2022-09-29" in shown
    x = cli.json("ru/negotiator", "show", POWS)
    assert f"SHA-256 of the terms {x['sha256']}" in shown
    lines = rows(cli.run("ru/negotiator", "show", POWS))
    assert any(ln.startswith(f"ru 2 {x['sha256'][:8]} ru/negotiator") for ln in lines)  # a sign-off
    assert any(ln.startswith("ru hand over 2 12") for ln in lines)  # Russia's second list: twelve men
    assert "stage 1, ru hands over 10: ru-azov-0001" in shown and REFUSES not in shown.split("plan", 1)[1]

    # The lists checked: the refusal and its reason for the holding party and the mediator, not the other side.
    check = cli.run("ua/registrar", "check", POWS, "--direction", "hand_over")
    refused = next(ln for ln in rows(check) if ln.startswith(f"ua hand over 5 {REFUSES}"))
    assert "refused: Fears prosecution" in refused
    assert "Fears prosecution" not in cli.run("ru/registrar", "check", POWS)  # the other side: only that he stays
    entries = cli.json("icrc/mediator", "check", POWS, "--side", "ua", "--direction", "ask_for")["entries"]
    assert {e["side"] for e in entries} == {"ua"} and entries[0]["result"] == "released"
    diff = cli.run("ua/registrar", "diff", POWS, "--side", "ru", "--direction", "hand_over", "--old", "1", "--new", "2")
    assert "version 1 → 2: 1 added, 1 removed, 11 kept" in diff and "+ ru-azov-0013" in diff

    board = cli.run("ua/negotiator", "board", POWS)
    assert "19 of 20 confirmed by both sides and a mediator" in board
    assert "ru-azov-0009: not yet received, witnessed" in board
    row = next(ln for ln in rows(board) if " ru-azov-0001 " in f" {ln} ")
    assert "ua-azov-0001" in row and "2022-09-29 08:30" in row
    narrow = cli.run("ua/negotiator", "board", POWS, columns=60)
    assert max(len(ln) for ln in narrow.splitlines()) <= 60
    assert "stage 1, ru: ru-azov-0009 open" in " ".join(narrow.split())

    # Each side's count beside the tally: Ukraine received nine, and the reconciliation names the tenth man.
    rec = cli.run("icrc/mediator", "reconcile", POWS)
    assert any(ln.startswith("ua received 9 9 yes") for ln in rows(rec))
    assert "handed over, not confirmed received: ru-azov-0009" in " ".join(rec.split())
    assert re.search(r"#\d+ ua \(in all, 2022-09-29T18:05:00\+00:00\): sent 10, received 9", " ".join(rec.split()))

    bodies = cli.run("ru/registrar", "bodies", REMAINS)
    flat = " ".join(bodies.split())
    assert "100 bodies: 9 dna sampled, 1 identified, 4 preliminary, 86 unidentified" in flat
    assert any(ln.startswith("RU-B-005 1 ru identified ua-azov-0024") for ln in rows(bodies))
    assert any(ln.startswith("ua sent 50 50 yes") for ln in rows(cli.run("ua/negotiator", "reconcile", REMAINS,
                                                                           "--stage", "1")))
    assert "sent 10, received 9" in cli.flat("ua/press", "released")

    pdf = tmp_path / "act.pdf"
    wrote = cli.run("icrc/mediator", "act", POWS, "--stage", "1", "--sender", "ru", "--lang", "uk", "-o", pdf)
    assert f"wrote the act of stage 1 of {POWS} from ru (uk" in " ".join(wrote.split())
    assert pdf.read_bytes().startswith(b"%PDF")


def test_an_exchange_from_proposal_to_release(cli: Cli, tmp_path: Path) -> None:
    xid = "ua-exchange-cli"
    proposed = cli.run("ua/negotiator", "propose", "One for one (test)", "--party", "ua", "--party", "ru",
                       "--mediator", "icrc", "--n", "2", "--place", "Handover point (test)", "--id", xid)
    assert f"recorded exchange {xid} version 1 at log index" in proposed
    v1 = cli.json("ru/negotiator", "show", xid)["sha256"]
    assert f"SHA-256 of the terms {v1}" in proposed

    # Russia counter-proposes one for one: the single stage follows the new total.
    countered = cli.flat("ru/negotiator", "counter", xid, "--n", "1", "--stage", "1:2030-01-15")
    assert f"recorded exchange {xid} version 2" in countered
    assert "prisoners, 1 for 1; stage 1: 1 a side on 2030-01-15" in countered
    assert "every party must sign version 2 afresh" in countered
    # What Ukraine read and signed is no longer the current version: refused with the server's message.
    stale = cli.run("ua/negotiator", "sign", xid, "--version", "1", "--sha256", v1, code=1)
    assert f"refused (409) [version]: version 1 is not the current version (2) of exchange '{xid}'" in stale
    # The same refusal in the reader's language (the locale's), from the code and parameters the API answered.
    stale = cli.run("ua/negotiator", "sign", xid, "--version", "1", "--sha256", v1, code=1, lang="uk")
    said = stale.split("refused (409) [version]: ", 1)[1]
    assert not said.isascii() and "2" in said, stale
    wrong = cli.run("ua/negotiator", "sign", xid, "--version", "2", "--sha256", v1, code=1)
    assert "refused (422) [sha256]: the SHA-256 signed is not that of version 2's terms" in wrong
    signed = cli.flat("ua/negotiator", "sign", xid)
    v2 = cli.json("ua/negotiator", "show", xid)["sha256"]
    assert f"signing version 2 of {xid} for your party" in signed and f"SHA-256 {v2}" in signed
    assert "waiting for ru to sign version 2" in signed
    assert f"{xid} is agreed: every party signed version 2" in cli.flat("ru/negotiator", "sign", xid)

    # No act before the handover.
    early = cli.run("icrc/mediator", "act", xid, "--stage", "1", "--sender", "ru", "-o", tmp_path / "early.pdf",
                    code=1)
    assert early == (f"refused (409): stage 1 of exchange '{xid}' has no confirmed handover yet; its act follows the "
                     "handover")
    assert not (tmp_path / "early.pdf").exists()

    # Lists, the interviews, and the solver's plan signed.
    ids = tmp_path / "ru-list.txt"
    ids.write_text("# Russia hands over\nru-azov-0014\n", encoding="utf-8")
    assert "recorded the list of ru to hand over, version 1: 1 person at log index" in cli.flat(
        "ru/registrar", "list-version", xid, "--direction", "hand_over", "--from-file", ids)
    cli.run("ua/registrar", "list-version", xid, "--direction", "hand_over", "--person", "ua-pow-0012")
    not_held = cli.run("ua/registrar", "list-version", xid, "--direction", "hand_over", "--person", "ua-pow-0001",
                       code=1)
    assert "refused (422)" in not_held and "'ua-pow-0001' is held by nobody by your registry (released)" in not_held
    check = cli.run("icrc/mediator", "check", xid)
    assert any(ln.startswith("ru hand over 1 ru-azov-0014") and "found ua-azov-0014" in ln and "not interviewed" in ln
               for ln in rows(check))
    for person in ("ru-azov-0014", "ua-pow-0012"):
        cli.run("icrc/mediator", "consent", xid, person, "--wants")  # interviewed today
    proposal = cli.flat("icrc/mediator", "plan", xid)
    assert "stage 1, ua hands over 1: ua-pow-0012" in proposal and "stage 1, ru hands over 1: ru-azov-0014" in proposal
    assert "every eligible person is in" in proposal
    assert "recorded plan of" in cli.run("icrc/mediator", "plan", xid, "--sign")

    # The handover, person by person; the registry follows.
    at = "2030-01-15T09:00:00Z"
    cli.run("ru/registrar", "handover", xid, "ru-azov-0014", "--stage", "1", "--step", "handed_over", "--at", at)
    cli.run("ua/registrar", "handover", xid, "ru-azov-0014", "--stage", "1", "--step", "received", "--at", at,
            "--as", "ua-azov-0014")
    cli.run("icrc/mediator", "handover", xid, "ru-azov-0014", "--stage", "1", "--step", "witnessed", "--at", at)
    twice = cli.run("ru/registrar", "handover", xid, "ru-azov-0014", "--stage", "1", "--step", "handed_over",
                    "--at", "2030-01-15T09:05:00Z", code=1)
    assert "refused (409) [step]: 'ru-azov-0014' is already confirmed handed over" in twice
    cli.run("ua/registrar", "handover", xid, "ua-pow-0012", "--stage", "1", "--step", "handed_over", "--at", at)
    board = cli.run("icrc/mediator", "board", xid)
    assert "1 of 2 confirmed by both sides and a mediator" in board
    assert "ua-pow-0012: not yet received, witnessed" in board

    # Each side's count beside the tally: Russia counts what it has not confirmed receiving.
    cli.run("ua/negotiator", "count", xid, "--sent", "1", "--received", "1")
    cli.run("ru/negotiator", "count", xid, "--sent", ">=1", "--received", "1", "--stage", "1")
    bad = cli.run("ru/negotiator", "count", xid, "--sent", "many", "--received", "1", code=2)
    assert "'many' is not a figure" in bad
    rec = rows(cli.run("icrc/mediator", "reconcile", xid, "--stage", "1"))
    assert "ru sent at least 1 1 yes" in rec
    assert "ru received 1 0 no handed over, not confirmed received" in rec
    assert "ru received, handed over, not confirmed received: ua-pow-0012" in rec
    cli.run("ru/registrar", "handover", xid, "ua-pow-0012", "--stage", "1", "--step", "received", "--at", at)
    pdf = tmp_path / "act-ru.pdf"
    cli.run("ua/negotiator", "act", xid, "--stage", "1", "--sender", "ru", "--out", pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    # Completed by the mediator, released by a party with its public figures.
    early_release = cli.run("ua/negotiator", "release", xid, "--sent", "1", "--received", "1", code=1)
    assert f"exchange '{xid}' is not completed; nothing is released before" in early_release
    cli.run("icrc/mediator", "status", xid, "completed", "--reason", "One for one.")
    cli.run("ua/negotiator", "release", xid, "--sent", "1", "--received", "1")
    released = cli.flat("ua/press", "released")
    # The press reads the figures a party released, never the exchange's title or its names.
    assert f"{xid} (prisoners), released by ua on" in released and "sent 1, received 1" in released
    assert "One for one (test)" not in released and "ua-pow-0012" not in released
    shown = cli.json("icrc/mediator", "show", xid)
    assert shown["status"] == "completed" and [s["status"] for s in shown["statuses"]] == ["completed", "released"]

    # An exchange of remains: the count as stated, a lower bound kept, each body tagged, then identified.
    rid = "icrc-remains-cli"
    cli.run("icrc/mediator", "propose", "Remains (test)", "--party", "ua", "--party", "ru", "--mediator", "icrc",
            "--kind", "remains", "--formula", "all_for_all", "--id", rid)
    cli.run("ua/negotiator", "sign", rid)
    cli.run("ru/negotiator", "sign", rid)
    cli.run("ru/registrar", "remains", rid, "--stage", "1", "--count", ">2", "--body", "RU-T-1", "--body", "RU-T-2",
            "--at", at)
    cli.run("ua/registrar", "identify", rid, "RU-T-1", "--state", "identified", "--person", "ua-azov-0020")
    bodies = cli.run("ua/registrar", "bodies", rid)
    assert "more than 2" in bodies and any(ln.startswith("RU-T-1 1 ru identified ua-azov-0020")
                                           for ln in rows(bodies))
    back = cli.run("ua/registrar", "identify", rid, "RU-T-1", "--state", "preliminary", code=1)
    assert "refused (409) [state]: body 'RU-T-1' is already identified; identification only advances" in back
