"""The people commands against a live server: ``parley person``, ``parley list``, ``parley review``,
``parley decide`` and ``parley inquiry``, as a registrar would use them. Every person is invented."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from parley.people.cli import register_commands
from tests.operations.test_api import live  # noqa: F401  (the fixture: a demo server on a free port)


def root() -> typer.Typer:
    app = typer.Typer()
    register_commands(app)
    return app


def test_registrar_works_the_registry_from_the_command_line(live, tmp_path):  # noqa: F811
    url, demo = live
    runner, app = CliRunner(), root()

    def cli(member: str, *args: str, code: int = 0) -> str:
        r = runner.invoke(app, [*args, "--url", url, "--token", demo.token(member)])
        assert r.exit_code == code, r.output
        return r.output

    person = tmp_path / "person.json"
    person.write_text(json.dumps({"category": "pow", "own_party": "ua", "seriously_wounded": True, "person": {
        "surname": "Гончаренко", "first_name": "Николай", "patronymic": "Петрович", "birth_date": "1990-06-01",
        "rank": "сержант", "held_at": "Еленовка"}}, ensure_ascii=False))
    out = cli("ru/registrar", "person", "register", str(person))
    pid = out.split("person ")[1].split()[0]
    cli("ru/registrar", "person", "event", pid, "visited", "--date", "2022-06-10", "--place", "Еленовка")
    shown = cli("ua/registrar", "person", "show", pid)
    assert "seriously wounded" in shown and "visited" in shown and "Еленовка" in shown
    listed = json.loads(cli("ua/registrar", "person", "list", "-q", "Honcharenko Mykola", "--json"))
    assert pid in [p["id"] for p in listed["persons"]]
    # A list in Ukrainian with a bad row: the good row is kept and the report names the bad one.
    sheet = tmp_path / "list.csv"
    sheet.write_text("Прізвище,Ім'я,По батькові,Дата народження\nГончаренко,Микола,Петрович,01.06.1990\n"
                     "Петренко,Іван,,32.13.1990\n", encoding="utf-8")
    preview = cli("ua/registrar", "list", "import", str(sheet), "--preview", "--category", "missing")
    assert "surname" in preview and "rejected" in preview
    report = json.loads(cli("ua/registrar", "list", "import", str(sheet), "--category", "missing", "--json"))
    assert (report["accepted"], report["rejected"]) == (1, 1)
    assert "row 3" not in report["report"][1]["reason"] and report["report"][1]["field"] == "birth_date"
    ua_id = report["report"][0]["person"]
    # The two records of the same man are a candidate pair; the registrar decides.
    queue = json.loads(cli("ua/registrar", "review", "--json"))
    assert any({p["left"]["id"], p["right"]["id"]} == {pid, ua_id} for p in queue["pairs"])
    # "same" says what follows and asks first: declined, nothing is decided.
    declined = runner.invoke(app, ["decide", pid, ua_id, "same", "--url", url, "--token", demo.token("ua/registrar")],
                             input="n\n")
    assert declined.exit_code == 1 and "Nothing decided" in declined.output and "parley undecide" in declined.output
    assert not json.loads(cli("ua/registrar", "person", "show", pid, "--json"))["same_as"]
    confirmed = runner.invoke(app, ["decide", pid, ua_id, "same", "--note", "same service record", "--url", url,
                                    "--token", demo.token("ua/registrar")], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert ua_id in json.loads(cli("ua/registrar", "person", "show", pid, "--json"))["same_as"][0]["id"]
    # Export without formulas, by the file's extension.
    dest = tmp_path / "out.xlsx"
    cli("ua/registrar", "list", "export", str(dest))
    assert dest.read_bytes()[:2] == b"PK"
    bad = runner.invoke(app, ["list", "export", str(tmp_path / "out.pdf"), "--url", url, "--token",
                              demo.token("ua/registrar")])
    assert bad.exit_code == 2
    # A family's inquiry: reference and secret printed once; the candidate is found across scripts.
    filed = cli("ua/registrar", "inquiry", "file", "Honcharenko", "--first-name", "Mykola", "--birth-date", "1990",
                "--relationship", "brother")
    ref = filed.split("reference: ")[1].split()[0]
    assert "secret:" in filed
    shown = json.loads(cli("ua/registrar", "inquiry", "show", ref, "--json"))
    # both records of the man (Russia's and Ukraine's list, now decided the same) come first
    assert {c["id"] for c in shown["candidates"][:2]} == {pid, ua_id}
    cli("ua/registrar", "inquiry", "decide", ref, "confirmed", "--person", pid, "--message", "He is registered.")
    # Refusals are printed, never a traceback; press officers do not read the registry.
    denied = cli("ua/press", "person", "list", code=1)
    assert "403" in denied
