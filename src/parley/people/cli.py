"""``parley person``, ``parley list``, ``parley review`` and ``parley inquiry``: the registry from the
command line, through the server's HTTP API with your API token. ``parley match`` and ``parley dedupe``
(``linkcli.py``) work on CSV files alone, without a server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

from parley.client import AsJson, Token, Url, http_client
from parley.client import call as _call
from parley.client import receipt as _receipt
from parley.client import refused
from parley.people import percent

person_app = typer.Typer(help="The registry of prisoners of war, detained civilians, the missing and the dead.",
                         no_args_is_help=True)
list_app = typer.Typer(help="Lists of persons: import from XLSX or CSV with a report for every row; export.",
                       no_args_is_help=True)
inquiry_app = typer.Typer(help="Families' inquiries about sought persons.", no_args_is_help=True)
console = Console(stderr=True)
out = Console()


def _upload(url: str, token: str, path: str, file: Path, form: dict[str, str],
            options: dict[str, str] | None = None) -> Any:
    """POST ``file`` with ``form``; a refusal is printed with the option that sets the refused field
    (``options``: field → option)."""
    import httpx

    if not token:
        console.print("[red]an API token is required (--token or PARLEY_TOKEN)[/red]")
        raise typer.Exit(2)
    try:
        data = file.read_bytes()
    except OSError as exc:
        console.print(f"{file}: {exc}", style="red", markup=False)
        raise typer.Exit(2) from None
    try:
        with http_client(url, token, timeout=600) as c:
            r = c.post(path, data=form, files={"file": (file.name, data)})
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach {url}: {exc}[/red]")
        raise typer.Exit(2) from None
    if r.status_code >= 400:
        refused(r.status_code, r.text)
        try:
            option = (options or {}).get(str(r.json().get("field") or ""))
        except ValueError:
            option = None
        if option:
            console.print(f"  set it with {option}", style="red", markup=False)
        raise typer.Exit(1)
    return r.json()


def _name(p: dict[str, Any]) -> str:
    return " ".join(x for x in (p.get("surname"), p.get("first_name"), p.get("patronymic")) if x)


@person_app.command("list")
def list_persons(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False,
                 query: Annotated[str, typer.Option("--query", "-q", help="A name in any script or spelling")] = "",
                 category: Annotated[str, typer.Option(help="pow, civilian, missing or deceased")] = "") -> None:
    """Persons you may read, or those matching a name."""
    from urllib.parse import urlencode

    data = _call(url, token, "GET", "/api/persons?" + urlencode({"q": query, "category": category}))
    if as_json:
        out.print_json(data=data)
        return
    # Ids are never wrapped or cut (the next command needs them whole); long text folds, never ellipsized.
    t = Table(Column("id", no_wrap=True), Column("name", overflow="fold"), Column("born", overflow="fold"),
              Column("category", overflow="fold"), Column("status", overflow="fold"),
              Column("reported by", overflow="fold"), Column("last known alive", overflow="fold"),
              *([Column("match", no_wrap=True)] if query else []))
    for p in data["persons"]:
        t.add_row(p["id"], _name(p), p["birth_date"], p["category"], p["status"], p["party"],
                  _alive(p.get("last_alive")),
                  *([percent.probability(percent.search_share(query, p.get("score")))] if query else []))
    out.print(t)


def _alive(a: dict[str, Any] | None) -> str:
    """When last known alive and by whom (``people.monitoring``), in a line."""
    if not a:
        return "—"
    if a["died"]:
        return f"died ({a['party']}, record {a['index']})"
    return f"{a['date']} ({a['event']}, {a['party']})"


def _source(src: dict[str, Any] | None) -> str:
    if not src:
        return ""
    who = ", ".join(x for x in (src.get("speaker"), src.get("body"), src.get("outlet"), src.get("reference")) if x)
    return f"{src.get('kind', 'party_statement')}: {who}" if who else src.get("kind", "party_statement")


@person_app.command("show")
def show_person(pid: str, url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """One person: the fields, the status history, and the other parties' records of the same person."""
    p = _call(url, token, "GET", f"/api/persons/{pid}")
    if as_json:
        out.print_json(data=p)
        return
    out.print(f"{_name(p)} — {p['category']}, {p['status']}"
              f"{' — seriously wounded or sick' if p['seriously_wounded'] else ''}", markup=False)
    for f in ("birth_date", "birth_place", "rank", "service_number", "unit", "held_at", "capture_date",
              "death_date", "burial_place"):
        if p.get(f):
            out.print(f"  {f}: {p[f]}", markup=False)
    out.print(f"  last known alive: {_alive(p.get('last_alive'))}", markup=False)
    for e in p["events"]:
        detail = f" [{e['detail']}]" if e.get("detail") else ""
        out.print(f"  {e['date'] or '—':10}  {e['event']:<18}{detail} {e['place']}  ({e['party']})", markup=False)
        if e.get("source"):
            out.print(f"              source: {_source(e['source'])}", markup=False)
    for o in p["same_as"]:
        out.print(f"  same person as {o['id']} reported by {o['party']}: {_name(o)}", markup=False)


@person_app.command("register")
def register(file: Annotated[Path, typer.Argument(help="JSON: {category, own_party?, person: {...}, "
                                                       "seriously_wounded?}")],
             url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Register a person from a JSON file."""
    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        console.print(f"{file}: {exc}", style="red", markup=False)
        raise typer.Exit(2) from None
    r = _call(url, token, "POST", "/api/persons", body)
    _receipt(r, f"person {r['person']}")


@person_app.command("event")
def event(pid: str, kind: Annotated[str, typer.Argument(help="captured, held_at, transferred, visited, "
                                                             "hospitalised, released, repatriated, died, …")],
          date: Annotated[str, typer.Option(help="yyyy-mm-dd, yyyy-mm or yyyy")] = "",
          place: str = "", note: str = "",
          wounded: Annotated[bool | None, typer.Option("--wounded/--not-wounded")] = None,
          url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Record a step of a person's status history."""
    body: dict[str, Any] = {"event": kind, "date": date, "place": place, "note": note}
    if wounded is not None:
        body["seriously_wounded"] = wounded
    _receipt(_call(url, token, "POST", f"/api/persons/{pid}/events", body))


# Where a statement comes from (``records.sources.Source``), for ``person monitor`` and ``access``.
SOURCE_KINDS = ("party_statement, named_official, mediator, document, media_citing_officials, anonymous_officials "
                "or media_report")
SourceKind = Annotated[str, typer.Option("--source", help=SOURCE_KINDS)]
Speaker = Annotated[str, typer.Option(help="Who spoke (a named official)")]
Body = Annotated[str, typer.Option(help="The body the speaker speaks for")]
Outlet = Annotated[str, typer.Option(help="Where it was published")]
StatedOn = Annotated[str, typer.Option("--stated-on", help="When it was said or published (yyyy-mm-dd)")]
SourceRef = Annotated[str, typer.Option("--reference", help="A document's or report's reference")]
SourceUrl = Annotated[str, typer.Option("--source-url", help="The address it was published at")]
Quote = Annotated[str, typer.Option(help="The words as published")]


def _source_body(kind: str, speaker: str, body: str, outlet: str, stated_on: str, reference: str, url: str,
                 quote: str) -> dict[str, Any]:
    values = {"kind": kind, "speaker": speaker, "body": body, "outlet": outlet, "stated_on": stated_on,
              "reference": reference, "url": url, "quote": quote}
    return {k: v for k, v in values.items() if v}


@person_app.command("monitor")
def monitor(pid: str,
            observation: Annotated[str, typer.Argument(help="proof_of_life, contact or conditions")],
            date: Annotated[str, typer.Option(help="yyyy-mm-dd, yyyy-mm or yyyy (a proof of life or a contact)")] = "",
            means: Annotated[str, typer.Option(help="a contact: call, letter, message_via_mediator or other")] = "",
            conditions: Annotated[str, typer.Option(help="known (described in --note) or unknown")] = "",
            place: str = "", note: str = "", source: SourceKind = "party_statement", speaker: Speaker = "",
            body: Body = "", outlet: Outlet = "", stated_on: StatedOn = "", reference: SourceRef = "",
            source_url: SourceUrl = "", quote: Quote = "",
            url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Record what your party's monitoring found about a person: proof of life, a contact, or the conditions
    (known or unknown), with its source."""
    payload = {"observation": observation, "date": date, "means": means, "conditions": conditions, "place": place,
               "note": note, "source": _source_body(source, speaker, body, outlet, stated_on, reference, source_url,
                                                    quote)}
    _receipt(_call(url, token, "POST", f"/api/persons/{pid}/monitoring", payload))


# -- access to places of detention -----------------------------------------------------------------------------
access_app = typer.Typer(help="Requests for access to places of detention and the holding party's answers.",
                         no_args_is_help=True)


def _answer_line(r: dict[str, Any]) -> str:
    a = r.get("answer")
    if a is None:
        return "no answer" + (" (overdue)" if r.get("overdue") else "")
    return f"granted for {a['visit_on']}" if a["answer"] == "granted" else f"refused: {a['reason']}"


@access_app.command("list")
def access_list(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False,
                state: Annotated[str, typer.Option(help="asked, granted or refused")] = "",
                holder: Annotated[str, typer.Option(help="the holding party")] = "") -> None:
    """Requests for access you may read, newest first, with their answers."""
    from urllib.parse import urlencode

    data = _call(url, token, "GET", "/api/access-requests?" + urlencode({"state": state, "holder": holder}))
    if as_json:
        out.print_json(data=data)
        return
    t = Table(Column("id", no_wrap=True), Column("place", overflow="fold"), Column("asked by", overflow="fold"),
              Column("holder", overflow="fold"), Column("asked", overflow="fold"), Column("answer", overflow="fold"))
    for r in data["requests"]:
        t.add_row(r["id"], r["place"]["name"], r["party"], r["holder"], r["asked_at"][:10], _answer_line(r))
    out.print(t)


@access_app.command("show")
def access_show(rid: str, url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """One request for access, its source and its answer."""
    r = _call(url, token, "GET", f"/api/access-requests/{rid}")
    if as_json:
        out.print_json(data=r)
        return
    out.print(f"{r['place']['name']} — asked by {r['party']} of {r['holder']} on {r['asked_at'][:10]}", markup=False)
    if r["purpose"]:
        out.print(f"  purpose: {r['purpose']}", markup=False)
    if r["source"]:
        out.print(f"  source: {_source(r['source'])}", markup=False)
    out.print(f"  answer: {_answer_line(r)}", markup=False)


@access_app.command("ask")
def access_ask(holder: Annotated[str, typer.Argument(help="the party holding the place")],
               place: Annotated[str, typer.Argument(help="the place's name, in any script")],
               lat: Annotated[float | None, typer.Option(help="latitude (WGS 84)")] = None,
               lon: Annotated[float | None, typer.Option(help="longitude (WGS 84)")] = None,
               purpose: str = "", answer_by: Annotated[str, typer.Option(help="an answer asked by (ISO time)")] = "",
               source: SourceKind = "party_statement", speaker: Speaker = "", body: Body = "",
               outlet: Outlet = "", stated_on: StatedOn = "", reference: SourceRef = "", source_url: SourceUrl = "",
               quote: Quote = "", url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Ask the holding party for access to visit a place of detention (a mediator); read by your party and the
    holding party only."""
    payload: dict[str, Any] = {"holder": holder, "place": {"name": place, "lat": lat, "lon": lon},
                               "purpose": purpose, "answer_by": answer_by or None,
                               "source": _source_body(source, speaker, body, outlet, stated_on, reference,
                                                      source_url, quote) or None}
    r = _call(url, token, "POST", "/api/access-requests", payload)
    _receipt(r, f"request {r['request']}")


@access_app.command("answer")
def access_answer(rid: str, answer: Annotated[str, typer.Argument(help="granted or refused")],
                  visit_on: Annotated[str, typer.Option(help="granted: the date of the visit (yyyy-mm-dd)")] = "",
                  reason: Annotated[str, typer.Option(help="refused: why")] = "",
                  url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """The holding party's one answer to a request for access."""
    _receipt(_call(url, token, "POST", f"/api/access-requests/{rid}/answer",
                   {"answer": answer, "visit_on": visit_on, "reason": reason}))


# Why personal data is destroyed, and on what legal basis (``person destroy``, ``inquiry destroy``).
Reason = Annotated[str, typer.Option(help="retention, court_order, request or other")]
Basis = Annotated[str, typer.Option(help="The legal basis: the rule, the court order's reference, the request's "
                                         "date. Never a name.")]


@person_app.command("destroy")
def destroy(pid: str, reason: Reason, basis: Basis, url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Destroy a person's personal data for good (an admin of the reporting party): a signed person.destroy
    record. The log and its proofs stay valid; the data is gone from the database, its WAL and later backups."""
    _receipt(_call(url, token, "POST", f"/api/persons/{pid}/destroy", {"reason": reason, "basis": basis}),
             f"the destruction of person {pid}")


@person_app.command("export")
def export_person(pid: str,
                  dest: Annotated[Path | None, typer.Option("--out", help="Write the export to this file (mode 0600)")]
                  = None,
                  url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Everything you may read about one person, as JSON, for an inquiry: the record, its history, decisions,
    list and every signed record naming the person (or the record that destroyed it)."""
    data = _call(url, token, "GET", f"/api/persons/{pid}/export")
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if dest is None:
        out.print_json(text)
        return
    dest.write_text(text, encoding="utf-8")
    dest.chmod(0o600)
    console.print(f"written to {dest}", markup=False)


def retention_report(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """The retention rules, the persons due for destruction under them, and what was destroyed by which record."""
    data = _call(url, token, "GET", "/api/retention")
    if as_json:
        out.print_json(data=data)
        return
    rules = ", ".join(f"{c}: {r['days']} days" for c, r in data["rules"].items()) or "none (kept without limit)"
    out.print(f"retention rules of the deployment (for parties that signed none): {rules}", markup=False)
    for pr in data.get("party_rules", []):
        said = ", ".join(f"{c}: {d} days" for c, d in sorted(pr["rules"].items()))
        out.print(f"retention rules of {pr['party']} (record {pr['index']}, {pr['basis']}): {said}", markup=False)
    t = Table(Column("due: person or inquiry", no_wrap=True), Column("category"), Column("party"),
              Column("last record"), Column("due since"), Column("you may destroy"))
    for d in data["due"]:
        t.add_row(d["person"], d["category"], d["party"], d["last_record"], d["due_since"],
                  "yes" if d["may_destroy"] else "no")
    for d in data.get("due_inquiries", []):
        t.add_row(d["inquiry"], "inquiry", d["party"], d["last_record"], d["due_since"],
                  "yes" if d["may_destroy"] else "no")
    out.print(t)
    t = Table(Column("destroyed: person or inquiry", no_wrap=True), Column("by record", no_wrap=True), Column("reason"),
              Column("legal basis", overflow="fold"), Column("author"), Column("time"))
    for d in data["destroyed"]:
        t.add_row(d.get("person") or d.get("inquiry") or "", str(d["index"]), d.get("reason") or "",
                  d.get("basis") or "", d.get("author") or "", d.get("time") or "")
    out.print(t)


def _report_table(rows: list[dict[str, Any]]) -> Table:
    t = Table(Column("row", no_wrap=True), Column("result", overflow="fold"),
              Column("person / duplicate of", no_wrap=True), Column("reason", overflow="fold"))
    for r in rows:
        t.add_row(str(r["row"]), r["status"], r.get("person") or r.get("of") or
                  (f"row {r['of_row']}" if r.get("of_row") else ""), r.get("reason", ""))
    return t


@list_app.command("import")
def import_list(file: Path, url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False,
                title: str = "", category: Annotated[str, typer.Option(help="Category of rows without one")] = "",
                own_party: Annotated[str, typer.Option(help=(
                    "The party the listed persons depend on, or 'unknown'; required for a list of prisoners of "
                    "war, which the other party sees only through it"))] = "",
                mapping: Annotated[str, typer.Option(help='Corrected columns, JSON: {"0": "surname", …}')] = "",
                preview: Annotated[bool, typer.Option(help="Only show how the rows would be read")] = False) -> None:
    """Import a list of persons (XLSX or CSV): every row is accepted, a duplicate, or rejected with its reason."""
    form = {"title": title or file.name, "default_category": category, "own_party": own_party, "mapping": mapping}
    path = "/api/lists/preview" if preview else "/api/lists"
    data = _upload(url, token, path, file, {k: v for k, v in form.items() if v},
                   {"own_party": "--own-party PARTY (or --own-party unknown)", "mapping": "--mapping",
                    "file": "the file's path"})
    if as_json:
        out.print_json(data=data)
        return
    if preview:
        # "read as": the field names a corrected --mapping uses, whole.
        t = Table(Column("column", no_wrap=True), Column("header", overflow="fold"), Column("read as", no_wrap=True))
        for i, h in enumerate(data["headers"]):
            t.add_row(str(i), h, data["mapping"].get(str(i), "—"))
        out.print(t)
        for w in data["warnings"]:
            out.print(f"warning: {w}", markup=False)
        out.print(_report_table([{"row": r["row"], "status": r["status"], "reason": r["reason"],
                                  "of": r.get("of"), "of_row": r.get("of_row")} for r in data["rows"]]))
        return
    out.print(_report_table(data["report"]))
    out.print(f"list {data['list']}: {data['accepted']} accepted, {data['duplicates']} duplicates, "
              f"{data['rejected']} rejected")


@list_app.command("show")
def show_list(list_id: str, url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """An imported list and the report of every row."""
    data = _call(url, token, "GET", f"/api/lists/{list_id}")
    if as_json:
        out.print_json(data=data)
        return
    out.print(f"{data['title']} ({data['filename']}, sha256 {data['sha256'][:16]}…)", markup=False)
    out.print(_report_table(data["report"]))


@list_app.command("export")
def export(dest: Path, url: Url = "http://127.0.0.1:8000", token: Token = "",
           list_id: Annotated[str, typer.Option("--list", help="Only the persons of this list")] = "",
           category: str = "") -> None:
    """Export the persons you may read to XLSX or CSV (by the file's extension); no cell is ever a formula."""
    from urllib.parse import urlencode

    fmt = dest.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "csv"):
        console.print("[red]the file name must end in .xlsx or .csv[/red]")
        raise typer.Exit(2)
    with http_client(url, token, timeout=600) as c:
        r = c.get(f"/api/persons.{fmt}?" + urlencode({"list": list_id, "category": category}))
    if r.status_code >= 400:
        refused(r.status_code, r.text)
        raise typer.Exit(1)
    dest.write_bytes(r.content)
    out.print(f"wrote {dest} ({len(r.content)} bytes)", markup=False)


def review(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False,
           threshold: float = 0.5) -> None:
    """Candidate pairs of records that may be the same person, for a registrar to decide."""
    data = _call(url, token, "GET", f"/api/review?threshold={threshold}")
    if as_json:
        out.print_json(data=data)
        return
    # The two records one above the other, each line starting with its id: the column is never narrower than an
    # id, so both stay whole for `parley decide LEFT RIGHT` on a narrow terminal.
    widest = max((len(p[side]["id"]) for p in data["pairs"] for side in ("left", "right")), default=1)
    t = Table(Column("probability", overflow="fold"), Column("records: left, right", min_width=widest, overflow="fold"),
              Column("differ in", overflow="fold"))
    for p in data["pairs"]:
        records = "\n".join(f"{p[side]['id']} {_name(p[side])} ({p[side]['party']})" for side in ("left", "right"))
        t.add_row(percent.probability(p["probability"]), records, ", ".join(p["differences"]))
    out.print(t)


def undecide(index: Annotated[int, typer.Argument(help="the log index of the decision's record")],
             reason: Annotated[str, typer.Option(help="why the decision is reversed")],
             url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Reverse a match decision made by mistake: a later signed record (the decision is never edited); the pair
    goes back to the review queue."""
    _receipt(_call(url, token, "POST", f"/api/matches/{index}/withdraw", {"reason": reason}))


@list_app.command("correct")
def correct_row(list_id: str, row: int,
                cell: Annotated[list[str], typer.Option(help="FIELD=VALUE, as the file would give it (repeat)")],
                own_party: Annotated[str, typer.Option(help="The persons' own party, or 'unknown'")] = "",
                url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Correct a rejected row of a list you imported and submit it again (one signed record; nothing else of the
    list is imported again)."""
    cells = dict(c.split("=", 1) for c in cell if "=" in c)
    data = _call(url, token, "POST", f"/api/lists/{list_id}/rows/{row}", {"cells": cells, "own_party": own_party})
    _receipt(data, f"row {row} as {data.get('person', '')}")


SAME_FOLLOWS = ("Record that {left} and {right} are the same person? A signed record states it in your party's name, "
               "read by the parties of both records and the mediators. Each person page then shows the other record "
               "as the same person, exchange lists pair the two records, and the matching model learns from it. "
               "Both records stay as their parties wrote them; if it was a mistake, a later signed record reverses it "
               "(parley undecide INDEX --reason ...), never an edit.")


def decide(left: str, right: str, decision: Annotated[str, typer.Argument(help="same or different")],
           note: str = "",
           yes: Annotated[bool, typer.Option("--yes", "-y", help="decide 'same' without asking")] = False,
           url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Decide whether two records are the same person (a signed record; it trains the model). "same" says what
    follows and asks first, unless --yes."""
    if decision == "same" and not yes:
        out.print(SAME_FOLLOWS.format(left=left, right=right), markup=False)
        if not typer.confirm("Decide that they are the same person?", default=False):
            out.print("Nothing decided.", markup=False)
            raise typer.Exit(1)
    _receipt(_call(url, token, "POST", "/api/matches", {"left": left, "right": right, "decision": decision,
                                                         "note": note}))


@inquiry_app.command("file")
def file_inquiry(surname: str, first_name: str = "", patronymic: str = "",
                 birth_date: Annotated[str, typer.Option(help="yyyy-mm-dd, yyyy-mm or yyyy")] = "",
                 birth_place: str = "", service_number: str = "", relationship: str = "", contact: str = "",
                 url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """File a family's inquiry; prints the reference and the secret to hand to the family (shown once)."""
    sought = {k: v for k, v in {"surname": surname, "first_name": first_name, "patronymic": patronymic,
                                "birth_date": birth_date, "birth_place": birth_place,
                                "service_number": service_number}.items() if v}
    r = _call(url, token, "POST", "/api/inquiries", {"sought": sought, "relationship": relationship,
                                                     "contact": contact})
    _receipt(r, f"inquiry {r['reference']}")
    out.print(f"reference: {r['reference']}\nsecret:    {r['secret']}   "
              "(give it to the family: the server keeps only its hash, never in the log)", markup=False)


@inquiry_app.command("show")
def show_inquiry(ref: str, url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """An inquiry, its decisions, and the registry's candidates, best first."""
    data = _call(url, token, "GET", f"/api/inquiries/{ref}")
    if as_json:
        out.print_json(data=data)
        return
    out.print(f"{data['reference']} ({data['status']}): {_name(data['sought'])} {data['sought'].get('birth_date', '')}",
              markup=False)
    t = Table(Column("probability", overflow="fold"), Column("id", no_wrap=True), Column("name", overflow="fold"),
              Column("born", overflow="fold"), Column("status", overflow="fold"),
              Column("reported by", overflow="fold"))
    for c in data["candidates"]:
        t.add_row(percent.probability(c["probability"]), c["id"], _name(c), c["birth_date"], c["status"], c["party"])
    out.print(t)


@inquiry_app.command("decide")
def decide_inquiry(ref: str, decision: Annotated[str, typer.Argument(help="confirmed, rejected, message, closed")],
                   person: str = "", message: str = "", url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Confirm or reject a candidate, or tell the family something."""
    body = {"decision": decision, "message": message, **({"person": person} if person else {})}
    _receipt(_call(url, token, "POST", f"/api/inquiries/{ref}/decisions", body))


@inquiry_app.command("release")
def release_inquiry(ref: str, field: Annotated[list[str], typer.Option(
                        "--field", help="surname, first_name, patronymic, birth_date, last_seen_date or "
                        "last_seen_place (repeatable; the surname at least)")] = [],  # noqa: B006
                    status_notes: Annotated[bool, typer.Option(help="the registry's confirmations go out as "
                                                               "status notes (alive, dead, missing)")] = False,
                    withdraw: bool = False, url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Release an inquiry for other tracing tools (the PFIF export) with the fields named, or withdraw it."""
    body = {"fields": field, "status_notes": status_notes, "withdraw": withdraw}
    _receipt(_call(url, token, "POST", f"/api/inquiries/{ref}/release", body))


@inquiry_app.command("pfif")
def export_pfif(dest: Path, party: str = "", url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Write the released inquiries you may read as PFIF 1.4 XML, for other tracing tools to import."""
    with http_client(url, token, timeout=600) as c:
        r = c.get("/api/inquiries.pfif", params={"party": party} if party else None)
    if r.status_code >= 400:
        refused(r.status_code, r.text)
        raise typer.Exit(1)
    dest.write_bytes(r.content)
    out.print(f"wrote {dest} ({len(r.content)} bytes)", markup=False)


@inquiry_app.command("destroy")
def destroy_inquiry(ref: str, reason: Reason, basis: Basis, url: Url = "http://127.0.0.1:8000",
                    token: Token = "") -> None:
    """Destroy an inquiry's data for good (an admin of the party it was filed with): a signed inquiry.destroy
    record. The family's description, contact and the answers they were given are gone; the log still verifies."""
    _receipt(_call(url, token, "POST", f"/api/inquiries/{ref}/destroy", {"reason": reason, "basis": basis}),
             f"the destruction of inquiry {ref}")


def retention_rules(rule: Annotated[list[str], typer.Option(
                        "--rule", help="CATEGORY=DAYS: pow, civilian, missing, deceased or inquiry (repeatable)")],
                    basis: Annotated[str, typer.Option(help="The law or agreement the rules follow")],
                    url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Sign your party's retention rules (an admin): how many days after a case closed what your party reported
    is due for destruction; every party reads them, and they replace your party's earlier rules."""
    rules: dict[str, int] = {}
    for r in rule:
        name, _, days = r.partition("=")
        if not name or not days.strip().isdigit():
            console.print(f"[red]--rule {r!r}: expected CATEGORY=DAYS, e.g. civilian=3650[/red]", highlight=False)
            raise typer.Exit(2)
        rules[name.strip()] = int(days)
    _receipt(_call(url, token, "POST", "/api/retention/rules", {"rules": rules, "basis": basis}),
             "your party's retention rules")


def register_commands(root: typer.Typer) -> None:
    root.add_typer(person_app, name="person")
    root.add_typer(list_app, name="list")
    root.add_typer(inquiry_app, name="inquiry")
    root.add_typer(access_app, name="access")
    retention_app = typer.Typer(help="Retention of personal data: what is due, what was destroyed.",
                                no_args_is_help=True)
    retention_app.command("report")(retention_report)
    retention_app.command("rules")(retention_rules)
    root.add_typer(retention_app, name="retention")
    root.command("review")(review)
    root.command("decide")(decide)
    root.command("undecide")(undecide)
    try:
        from parley.people.linkcli import register as register_link
    except ImportError:  # pragma: no cover - the matcher ships with Parley
        return
    register_link(root)
