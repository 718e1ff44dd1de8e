"""``parley exchange``: exchanges of prisoners, civilians and remains from the command line: the terms and their
versions and sign-off, each side's lists and their check against the registry, consent interviews, the plan the
solver proposes, the handover person by person, remains and their identification, each side's count and the
reconciliation, status and release, and the act of transfer as a PDF. Through the server's HTTP API
(``/api/exchanges``) with your API token (the server signs with the key it holds for you). To sign with your own
key instead, write the same payloads (``exchange.*`` kinds) with ``parley record submit``.

What a party signs is the SHA-256 of the terms of one version in RFC 8785 canonical JSON
(``exchanges.kinds.terms_hash``): ``parley exchange sign`` computes it here from the terms the server serves, and
refuses to sign when the server states another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

# Shared with every client command (``parley.client``); the short names are this module's own.
from parley.client import AsJson, Token, Url, http_client
from parley.client import call as _call
from parley.client import receipt as _receipt
from parley.client import refused as _refused

app = typer.Typer(help="Exchanges of prisoners, civilians and remains: terms and sign-off, lists, consent, the "
                       "plan, the handover, remains, counts, release and the act of transfer.", no_args_is_help=True)
console = Console(stderr=True)
out = Console()

DEFAULT_URL = "http://127.0.0.1:8000"
SHORT = 8  # hex digits of a hash shown in tables

# -- options several commands share ---------------------------------------------------------------------------

NoteOpt = Annotated[str, typer.Option("--note", help="A note kept with the record")]
FormulaOpt = Annotated[str | None, typer.Option(
    "--formula", help="n_for_n (--n a side), all_for_all (everyone on the lists who consents) or by_category "
                      "(--category)")]
NOpt = Annotated[int | None, typer.Option("--n", help="Persons (or bodies) per side, for n_for_n")]
CategoryOpt = Annotated[list[str] | None, typer.Option(
    "--category", help="CATEGORY=N for by_category, repeatable: wounded (the seriously wounded and sick of any "
                       "category, first), officer, soldier, civilian")]
StageOpt = Annotated[list[str] | None, typer.Option(
    "--stage", help="SIZE[:YYYY-MM-DD]: a stage, persons a side and its day, repeatable, in order (an empty SIZE: "
                    "none fixed); default one stage of the formula's total")]
PlaceOpt = Annotated[str | None, typer.Option("--place", help="Where the handover takes place")]
PointOpt = Annotated[str | None, typer.Option("--point", help="The talks point the exchange implements")]
OperationOpt = Annotated[str | None, typer.Option(
    "--operation", help="The operation of transfer that carries the handover")]
WindowStart = Annotated[str | None, typer.Option(help="The handover window's start, ISO 8601 with its offset")]
WindowEnd = Annotated[str | None, typer.Option(help="The handover window's end, ISO 8601 with its offset")]
TermsNote = Annotated[str | None, typer.Option("--terms-note", help="A note in the terms (signed with them)")]
AtOpt = Annotated[str | None, typer.Option(
    "--at", help="When it happened, ISO 8601 with its offset, e.g. 2022-09-29T08:30:00Z (default: now)")]
StageNo = Annotated[int, typer.Option("--stage", help="The stage, 1, 2 …")]


def _fail(message: str) -> typer.Exit:
    console.print(message, style="red", markup=False)
    return typer.Exit(2)


def _q(ident: str) -> str:
    return quote(ident, safe="")


def _short(h: str | None) -> str:
    return h[:SHORT] if h else ""


def _words(code: str | None) -> str:
    return (code or "").replace("_", " ")


def _fits(fixed: list[int], folding: int, least: int = 12) -> bool:
    """Does a table with no-wrap columns this wide and ``folding`` columns of at least ``least`` characters fit
    the terminal? (Each column takes two spaces of padding and a border.)"""
    columns = len(fixed) + folding
    return out.width >= sum(fixed) + folding * least + 3 * columns + 1


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids_from(path: Path) -> list[str]:
    """Ids one a line (blank lines and ``#`` comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: {exc}") from None
    return [x.strip() for x in lines if x.strip() and not x.strip().startswith("#")]


def _figure(text: str, what: str) -> Any:
    """A figure written short (``50``, ``>200``, ``~50``, ``48-52``, ``hundreds``) as a payload takes it: an exact
    count as a number, any other as the figure."""
    from pydantic import ValidationError

    from parley.records.figures import parse

    try:
        f = parse(text)
    except ValidationError as exc:
        raise _fail(f"{what}: {str(exc.errors()[0]['msg']).removeprefix('Value error, ')}") from None
    except ValueError as exc:
        raise _fail(f"{what}: {exc}") from None
    return f.value if f.form == "exact" else f.model_dump(exclude_none=True)


def _figure_words(f: Any) -> str:
    """A figure as the API gives it (with its ``words``, or a bare count) in words."""
    if f is None:
        return "—"
    if isinstance(f, int):
        return str(f)
    if "words" in f:
        return str(f["words"])
    from parley.records.figures import Figure, words

    return words(Figure.model_validate(f))


def _fetch(url: str, token: str, path: str) -> bytes:
    """A file the server answers (an act), as its bytes; a refusal ends the command as ``parley.client.call``."""
    import httpx

    if not token:
        console.print("[red]an API token is required (--token or PARLEY_TOKEN)[/red]")
        raise typer.Exit(2)
    try:
        with http_client(url, token, timeout=600) as c:
            r = c.get(path)
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach {url}: {exc}[/red]")
        raise typer.Exit(2) from None
    if r.status_code >= 400:
        _refused(r.status_code, r.text)
        raise typer.Exit(1)
    return r.content


def _get(url: str, token: str, xid: str) -> dict[str, Any]:
    x: dict[str, Any] = _call(url, token, "GET", f"/api/exchanges/{_q(xid)}")
    return x


# -- terms ----------------------------------------------------------------------------------------------------

def _categories(items: list[str] | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items or []:
        name, _, n = item.partition("=")
        if not name or not n.strip().isdigit():
            raise _fail(f"{item!r}: write CATEGORY=N, e.g. wounded=10")
        found[name.strip()] = int(n)
    return found


def _stages(items: list[str]) -> list[dict[str, Any]]:
    stages = []
    for number, item in enumerate(items, 1):
        size, _, on = item.partition(":")
        st: dict[str, Any] = {"number": number}
        if size.strip():
            if not size.strip().isdigit():
                raise _fail(f"{item!r}: write SIZE[:YYYY-MM-DD], e.g. 10 or 10:2022-09-29")
            st["size"] = int(size)
        if on.strip():
            st["on"] = on.strip()
        stages.append(st)
    return stages


def _total(formula: dict[str, Any]) -> int | None:
    if formula.get("kind") == "n_for_n" and isinstance(formula.get("n"), int):
        return int(formula["n"])
    if formula.get("kind") == "by_category" and formula.get("categories"):
        return sum(int(v) for v in formula["categories"].values())
    return None


def _set(terms: dict[str, Any], name: str, value: str | None) -> None:
    """A term given: set it, or with an empty value drop it (a counter-proposal without the talks point)."""
    if value is None:
        return
    if value == "":
        terms.pop(name, None)
    else:
        terms[name] = value


def _terms_text(t: dict[str, Any]) -> list[str]:
    """The terms in lines, as a reader checks them before signing."""
    f = t["formula"]
    if f["kind"] == "n_for_n":
        formula = f"{f.get('n')} for {f.get('n')}"
    elif f["kind"] == "all_for_all":
        formula = "all for all"
    else:
        formula = "by category: " + ", ".join(f"{n} {c}" for c, n in sorted(f.get("categories", {}).items()))
    stages = "; ".join(f"stage {s['number']}: " + (f"{s['size']} a side" if s.get("size") else "size not fixed")
                       + (f" on {s['on']}" if s.get("on") else "") for s in t["stages"])
    lines = [f"{_words(t['kind'])}, {formula}; {stages}"]
    if t.get("place"):
        lines.append(f"place: {t['place']}")
    if t.get("window_start") or t.get("window_end"):
        lines.append(f"window: {t.get('window_start') or '…'} → {t.get('window_end') or '…'}")
    for name in ("operation", "point"):
        if t.get(name):
            lines.append(f"{'operation of transfer' if name == 'operation' else 'talks point'}: {t[name]}")
    if t.get("note"):
        lines.append(f"note: {t['note']}")
    return lines


def _hash(terms: dict[str, Any]) -> str:
    """SHA-256 of the terms as signed, computed here (``exchanges.kinds.terms_hash``)."""
    from pydantic import ValidationError

    from parley.exchanges.kinds import terms_hash

    try:
        return terms_hash(terms)
    except (ValidationError, ValueError) as exc:
        console.print(f"the server served terms that are not valid terms ({exc}): nothing signed", style="red",
                      markup=False)
        raise typer.Exit(1) from None


# -- exchanges ------------------------------------------------------------------------------------------------

def _who(x: dict[str, Any]) -> str:
    return f"{', '.join(x['parties'])} (mediators {', '.join(x['mediators'])})"


def _state(x: dict[str, Any]) -> str:
    if x["status"] == "proposed" and x["agreed_version"] is None:
        return f"proposed, version {x['version']} not agreed"
    return x["status"]


@app.command("list")
def list_exchanges(url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The exchanges you may read."""
    data = _call(url, token, "GET", "/api/exchanges")
    if as_json:
        out.print_json(data=data)
        return
    if not data["exchanges"]:
        out.print("no exchanges")
        return
    # Ids are never wrapped or cut (the next command needs them whole); long text folds, never ellipsized.
    t = Table(Column("id", no_wrap=True), Column("exchange", overflow="fold"), Column("version", no_wrap=True),
              Column("status", overflow="fold"))
    for x in data["exchanges"]:
        t.add_row(x["id"], f"{x['title']}\n{_words(x['kind'])}, {x['formula']}: {_who(x)}", str(x["version"]),
                  _state(x))
    out.print(t)


@app.command("released")
def released(url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """Completed exchanges a party has released, with the figures it made public (no names): what press officers
    read."""
    data = _call(url, token, "GET", "/api/exchanges/released")
    if as_json:
        out.print_json(data=data)
        return
    if not data["released"]:
        out.print("nothing released")
        return
    for r in data["released"]:
        out.print(f"[bold]{escape(r['exchange'])}[/bold] ({r['kind']}), released by {r['party']} on {r['at'][:10]}")
        out.print(f"  sent {_figure_words(r['figures'].get('sent'))}, received "
                  f"{_figure_words(r['figures'].get('received'))}" + (f"; {r['note']}" if r["note"] else ""),
                  markup=False)


@app.command("show")
def show(exchange: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """An exchange: its terms, every version and sign-off, its status history, each side's lists and the current
    plan."""
    x = _get(url, token, exchange)
    if as_json:
        out.print_json(data=x)
        return
    out.print(f"[bold]{escape(x['title'])}[/bold] ({x['id']}): {_state(x)}")
    agreed = f"; version {x['agreed_version']} agreed" if x["agreed_version"] else ""
    out.print(f"between {_who(x)}; version {x['version']}{agreed}", markup=False)
    for line in _terms_text(x["terms"]):
        out.print(line, markup=False)
    out.print(f"SHA-256 of the terms {x['sha256']}", highlight=False)
    v = Table(Column("version", no_wrap=True), Column("SHA-256", no_wrap=True), Column("terms", overflow="fold"),
              Column("by", no_wrap=True), Column("at (UTC)", overflow="fold"), title="versions")
    for r in x["versions"]:
        v.add_row(str(r["version"]), _short(r["sha256"]), _terms_text(r["terms"])[0], r["by"], r["at"])
    out.print(v)
    if x["signoffs"]:
        s = Table(Column("party", no_wrap=True), Column("version", no_wrap=True), Column("SHA-256", no_wrap=True),
                  Column("by", no_wrap=True), Column("at (UTC)", overflow="fold"), title="sign-offs")
        for r in x["signoffs"]:
            s.add_row(r["party"], str(r["version"]), _short(r["sha256"]), r["by"], r["at"])
        out.print(s)
    signed = {r["party"] for r in x["signoffs"] if r["version"] == x["version"] and r["sha256"] == x["sha256"]}
    waiting = [p for p in x["parties"] if p not in signed]
    if waiting and x["status"] in ("proposed", "agreed"):
        out.print(f"waiting for {', '.join(waiting)} to sign version {x['version']}", markup=False)
    if x["statuses"]:
        st = Table(Column("status", overflow="fold"), Column("party", no_wrap=True), Column("reason", overflow="fold"),
                   Column("at (UTC)", overflow="fold"), title="status")
        for r in x["statuses"]:
            reason = r["reason"] or ""
            if r["figures"]:
                reason = (f"sent {_figure_words(r['figures'].get('sent'))}, received "
                          f"{_figure_words(r['figures'].get('received'))}") + (f"; {reason}" if reason else "")
            st.add_row(r["status"], r["party"], reason, r["at"])
        out.print(st)
    if x["lists"]:
        ls = Table(Column("side", no_wrap=True), Column("list", overflow="fold"), Column("version", no_wrap=True),
                   Column("persons", no_wrap=True), Column("at (UTC)", overflow="fold"),
                   Column("note", overflow="fold"), title="lists")
        for r in x["lists"]:
            ls.add_row(r["side"], _words(r["direction"]), str(r["version"]), str(len(r["persons"])), r["at"],
                       r["note"])
        out.print(ls)
    plan = x["plan"]
    if plan is None:
        out.print("no plan")
        return
    gap = f", gap {plan['gap']}" if plan["gap"] not in ("", None, "0") else ""
    out.print(f"[bold]plan[/bold] #{plan['record']} by {plan['by']}, {plan['at']}{gap}")
    for stage in plan["stages"]:
        for side in x["parties"]:
            ps = [p["person"] for p in stage["persons"] if p["side"] == side]
            out.print(f"stage {stage['stage']}, {side} hands over {len(ps)}: {', '.join(ps)}", markup=False)
    for name in ("pinned", "excluded"):
        if plan[name]:
            out.print(f"{name}: {', '.join(plan[name])}", markup=False)


def _formula(formula: str | None, n: int | None, categories: dict[str, int],
             base: dict[str, Any] | None = None) -> dict[str, Any]:
    f: dict[str, Any] = dict(base or {"kind": "n_for_n"})
    if formula is not None and formula != f.get("kind"):
        f = {"kind": formula}
    if n is not None:
        f["n"] = n
    if categories:
        f["categories"] = categories
    return f


@app.command("propose")
def propose(title: str,
            party: Annotated[list[str], typer.Option("--party", help="A belligerent party, repeatable: --party ua "
                                                                      "--party ru")],
            mediator: Annotated[list[str], typer.Option("--mediator", help="A mediator party, repeatable")],
            kind: Annotated[str, typer.Option("--kind", help="prisoners, civilians, remains or mixed")] = "prisoners",
            formula: FormulaOpt = None, n: NOpt = None, category: CategoryOpt = None, stage: StageOpt = None,
            place: PlaceOpt = None, point: PointOpt = None, operation: OperationOpt = None,
            window_start: WindowStart = None, window_end: WindowEnd = None, terms_note: TermsNote = None,
            exchange_id: Annotated[str | None, typer.Option(
                "--id", help="The exchange's id, starting with your party's slug and a dash (default: generated)")]
            = None,
            url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Propose an exchange: its first version of terms (exchange.propose), addressed, closed, to its parties
    and mediators. Every party then signs the version's SHA-256 (parley exchange sign)."""
    f = _formula(formula or "n_for_n", n, _categories(category))
    total = _total(f)
    stages = _stages(stage) if stage else [{"number": 1, **({"size": total} if total is not None else {})}]
    terms: dict[str, Any] = {"kind": kind, "formula": f, "stages": stages}
    for name, value in (("place", place), ("point", point), ("operation", operation),
                        ("window_start", window_start), ("window_end", window_end), ("note", terms_note)):
        _set(terms, name, value)
    body: dict[str, Any] = {"title": title, "parties": party, "mediators": mediator, "terms": terms}
    if exchange_id:
        body["id"] = exchange_id
    r = _call(url, token, "POST", "/api/exchanges", body)
    _receipt(r, f"exchange {r['id']} version 1")
    x = _get(url, token, r["id"])
    out.print(f"SHA-256 of the terms {x['sha256']}", highlight=False)


@app.command("counter")
def counter(exchange: str,
            formula: FormulaOpt = None, n: NOpt = None, category: CategoryOpt = None, stage: StageOpt = None,
            place: PlaceOpt = None, point: PointOpt = None, operation: OperationOpt = None,
            window_start: WindowStart = None, window_end: WindowEnd = None, terms_note: TermsNote = None,
            title: Annotated[str | None, typer.Option(help="A new title (default: the current one)")] = None,
            url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A counter-proposal: the next version of the terms, the current terms with what the options change (an
    empty value drops a term: --point ''). With one stage and a new formula, the stage's size follows the new
    total. Every party must sign the new version afresh."""
    x = _get(url, token, exchange)
    terms: dict[str, Any] = dict(x["terms"])
    cats = _categories(category)
    changed = formula is not None or n is not None or bool(cats)
    if changed:
        terms["formula"] = _formula(formula, n, cats, base=terms["formula"])
    if stage:
        terms["stages"] = _stages(stage)
    elif changed and len(terms["stages"]) == 1:
        total = _total(terms["formula"])
        only = {k: v for k, v in terms["stages"][0].items() if k != "size"}
        terms["stages"] = [{**only, **({"size": total} if total is not None else {})}]
    for name, value in (("place", place), ("point", point), ("operation", operation),
                        ("window_start", window_start), ("window_end", window_end), ("note", terms_note)):
        _set(terms, name, value)
    body: dict[str, Any] = {"terms": terms}
    if title:
        body["title"] = title
    r = _call(url, token, "POST", f"/api/exchanges/{_q(x['id'])}/versions", body)
    _receipt(r, f"exchange {x['id']} version {x['version'] + 1}")
    now = _get(url, token, x["id"])
    for line in _terms_text(now["terms"]):
        out.print(line, markup=False)
    out.print(f"SHA-256 of the terms {now['sha256']}", highlight=False)
    out.print(f"every party must sign version {now['version']} afresh", markup=False)


@app.command("sign")
def sign(exchange: str,
         version: Annotated[int | None, typer.Option(help="The version you read (default: the current one)")] = None,
         sha: Annotated[str | None, typer.Option(
             "--sha256", help="The SHA-256 of the terms you read (default: the version's, computed here from its "
                              "terms)")] = None,
         note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Sign a version of the terms for your party: a record over the SHA-256 of its terms. By default the current
    version, its hash computed here from the terms the server serves (and nothing signed if the server states
    another); with --version and --sha256, what you read (refused, nothing signed, when it is no longer the
    current version). Shows what is signed; the exchange is agreed once every party signed the same current
    version."""
    x = _get(url, token, exchange)
    version = x["version"] if version is None else version
    v = next((r for r in x["versions"] if r["version"] == version), None)
    if sha is None:
        if v is None:
            raise _fail(f"{exchange} has no version {version}")
        sha = _hash(v["terms"])
        if sha != v["sha256"]:
            console.print(f"the server states SHA-256 {v['sha256']} for version {version} of {exchange}, but its "
                          f"terms hash to {sha}: nothing signed", style="red", markup=False)
            raise typer.Exit(1)
    elif len(sha) != 64:
        raise _fail("--sha256 takes the whole SHA-256 (64 hex digits) of the terms you read")
    out.print(f"signing version {version} of {exchange} for your party: {x['title']}", markup=False)
    if v is not None:
        for line in _terms_text(v["terms"]):
            out.print(f"  {line}", markup=False)
    out.print(f"SHA-256 {sha.lower()}", highlight=False)
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(x['id'])}/signoffs",
                   {"version": version, "sha256": sha.lower(), "note": note}))
    now = _get(url, token, x["id"])
    if now["agreed_version"] == now["version"]:
        out.print(f"{x['id']} is agreed: every party signed version {now['version']}", style="green", markup=False)
    else:
        signed = {r["party"] for r in now["signoffs"] if r["version"] == now["version"]}
        waiting = [p for p in now["parties"] if p not in signed]
        out.print(f"waiting for {', '.join(waiting)} to sign version {now['version']}", markup=False)


# -- lists ----------------------------------------------------------------------------------------------------

Direction = Annotated[str, typer.Option("--direction", help="hand_over (whom your party hands over) or ask_for "
                                                            "(whom it asks for)")]


@app.command("list-version")
def list_version(exchange: str, direction: Direction,
                 person: Annotated[list[str] | None, typer.Option(
                     "--person", help="A registry person, repeatable")] = None,
                 from_file: Annotated[Path | None, typer.Option(
                     "--from-file", help="Registry person ids, one a line")] = None,
                 imported: Annotated[list[str] | None, typer.Option(
                     "--list", help="An imported list (parley list import) whose accepted rows it takes, "
                                    "repeatable")] = None,
                 note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A new version of your party's list (exchange.list): the whole list, replacing the one before. A
    person your registry does not show your party holding (to hand over), or not its own (to ask for), or on
    another open exchange, is refused."""
    persons = [*(person or []), *(_ids_from(from_file) if from_file else [])]
    if not persons and not imported:
        raise _fail("give --person, --from-file or --list")
    r = _call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/lists",
              {"direction": direction, "persons": persons, "lists": imported or [], "note": note})
    x = _get(url, token, exchange)
    lv = next((v for v in x["lists"] if v["record"] == r["index"]), None)
    what = f"the list to {_words(direction)}"
    if lv is not None:
        n = len(lv["persons"])
        what = f"the list of {lv['side']} to {_words(direction)}, version {lv['version']}: {n} " + (
            "person" if n == 1 else "persons")
    _receipt(r, what)


def _name(p: dict[str, Any] | None) -> str:
    if not p or "surname" not in p:
        return "(a record you may not read)" if p else ""
    name = " ".join(x for x in (p["surname"], p["first_name"], p["patronymic"]) if x)
    extra = ", ".join(x for x in (p.get("birth_date", ""), p.get("rank", ""),
                                  "seriously wounded" if p.get("seriously_wounded") else "") if x)
    return name + (f", {extra}" if extra else "")


def _result(e: dict[str, Any]) -> str:
    r = _words(e["result"])
    if e["other_exchange"]:
        r += f" ({e['other_exchange']})"
    return r


def _consent(e: dict[str, Any]) -> str:
    if e["consent"] is None:
        return ""
    return _words(e["consent"]) + (f": {e['reason']}" if e["reason"] else "")


@app.command("check")
def check(exchange: str,
          side: Annotated[str | None, typer.Option(help="Only this side's lists")] = None,
          direction: Annotated[str | None, typer.Option(help="Only hand_over or ask_for")] = None,
          url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """Every entry of every current list checked against the registry: the other side's record of the person
    found (with the probability), not found, ambiguous (to the review queue), already released, deceased, on
    another open exchange, or a duplicate; and for a person to hand over, the consent interview (why a person
    refused: the holding party and the mediators only)."""
    data = _call(url, token, "GET", f"/api/exchanges/{_q(exchange)}/check")
    entries = [e for e in data["entries"] if (side is None or e["side"] == side)
               and (direction is None or e["direction"] == direction)]
    if as_json:
        out.print_json(data={"entries": entries})
        return
    if not entries:
        out.print("no list entries")
        return
    longest = max(len(e["person"]["id"]) for e in entries)
    other = max([len(e["counterpart"]["id"]) for e in entries if e["counterpart"]] or [11])
    if _fits([4, 3, longest, other, 4], 4, 10):
        t = Table(Column("list", overflow="fold"), Column("#", no_wrap=True), Column("person", no_wrap=True),
                  Column("name", overflow="fold"), Column("result", overflow="fold"),
                  Column("counterpart", no_wrap=True), Column("p", no_wrap=True), Column("consent", overflow="fold"))
        for e in entries:
            t.add_row(f"{e['side']} {_words(e['direction'])}", str(e["n"]), e["person"]["id"], _name(e["person"]),
                      _result(e), e["counterpart"]["id"] if e["counterpart"] else "",
                      "" if e["probability"] is None else f"{e['probability']:.2f}", _consent(e))
        out.print(t)
    else:
        for e in entries:
            out.print(f"{e['side']} {_words(e['direction'])} #{e['n']} [bold]{e['person']['id']}[/bold]")
            if _name(e["person"]):
                out.print(f"  {_name(e['person'])}", markup=False)
            found = _result(e)
            if e["counterpart"]:
                p = "" if e["probability"] is None else f" (p {e['probability']:.2f})"
                found += f": {e['counterpart']['id']}{p}"
            out.print(f"  {found}", markup=False)
            if e["consent"] is not None:
                out.print(f"  consent: {_consent(e)}", markup=False)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["result"]] = counts.get(e["result"], 0) + 1
    out.print(", ".join(f"{n} {_words(r)}" for r, n in sorted(counts.items())), markup=False)
    for e in entries:
        if e["result"] == "ambiguous" and e["candidates"]:
            cands = ", ".join(f"{c['person']} ({c['probability']:.2f})" for c in e["candidates"])
            out.print(f"{e['person']['id']} may be: {cands}", markup=False)


@app.command("diff")
def diff(exchange: str, side: Annotated[str, typer.Option(help="The side whose list it is")],
         direction: Direction,
         old: Annotated[int, typer.Option(help="The earlier version")],
         new: Annotated[int, typer.Option(help="The later version")],
         url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """Who joined and who left a side's list between two of its versions."""
    query = urlencode({"side": side, "direction": direction, "old": old, "new": new})
    d = _call(url, token, "GET", f"/api/exchanges/{_q(exchange)}/lists/diff?{query}")
    if as_json:
        out.print_json(data=d)
        return
    out.print(f"{side}'s list {_words(direction)}, version {old} → {new}: {len(d['added'])} added, "
              f"{len(d['removed'])} removed, {d['kept']} kept", markup=False)
    for p in d["added"]:
        out.print(f"+ {p}", style="green", markup=False)
    for p in d["removed"]:
        out.print(f"- {p}", style="red", markup=False)


# -- consent and the plan -------------------------------------------------------------------------------------

@app.command("consent")
def consent(exchange: str, person: str,
            wants: Annotated[bool, typer.Option(
                "--wants/--refuses", help="Whether the person wants to be repatriated")],
            on: Annotated[str | None, typer.Option(
                "--on", help="The day of the interview, YYYY-MM-DD (default: today)")] = None,
            reason: Annotated[str, typer.Option(help="Why the person refuses, as told to the mediator")] = "",
            url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A mediator's private interview with a person on a hand-over list (exchange.consent): whether the person
    wants to be repatriated, and if not why. Read by the holding party and the mediators only; a person who
    refuses is never planned nor handed over."""
    body = {"person": person, "wants_repatriation": wants,
            "interviewed_on": on or datetime.now(UTC).date().isoformat(), "reason": reason}
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/consent", body),
             f"consent of {person}: {'wants to go back' if wants else 'refuses'}")


WHY = {"pinned": "pinned by a party", "seriously_wounded": "seriously wounded or sick: first (GC III Arts. 109-110)",
       "longest_held": "held longer than anyone left out", "excluded": "excluded by a party",
       "unverified": "not verified by the list check", "refused": "refused repatriation",
       "no_consent_yet": "not interviewed yet", "over_formula": "over the formula's places",
       "category_full": "the category's places are full"}
PRIORITY = {"all_eligible_in": "every eligible person is in", "tie_by_person_id": "held as long as one left out; "
            "the tie broken by person id", "not_optimal": "the solver stopped before proving its plan best"}


def _why(r: dict[str, Any]) -> str:
    d = r["detail"]
    text = PRIORITY.get(d.get("why", ""), "priority") if r["code"] == "priority" else WHY.get(r["code"],
                                                                                              _words(r["code"]))
    facts = [f"{k.replace('_', ' ')} {d[k]}" for k in ("rank", "held_days", "category", "places") if k in d]
    if d.get("also"):
        facts.append("also " + ", ".join(WHY.get(a, _words(a)) for a in d["also"]))
    return text + (f" ({'; '.join(facts)})" if facts else "")


@app.command("plan")
def plan(exchange: str,
         pin: Annotated[list[str] | None, typer.Option("--pin", help="A person who must be in, repeatable")] = None,
         exclude: Annotated[list[str] | None, typer.Option(
             "--exclude", help="A person who must be out, repeatable")] = None,
         sign_it: Annotated[bool, typer.Option("--sign", help="Record the plan (exchange.plan)")] = False,
         note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The solver's proposal: who is handed over in which stage, the seriously wounded and sick first, then the
    longest held, within the formula; each person's reason in or out. Nothing is stored unless --sign, which
    records the plan for these pins and exclusions (the solver run again by the server, its plan checked against
    the one shown). A formula that cannot be met is refused naming the constraint that fails."""
    ask = {"pinned": pin or [], "excluded": exclude or []}
    p = _call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/plan/compute", ask)
    if as_json and not sign_it:
        out.print_json(data=p)
        return
    if not as_json:
        gap = f", gap {p['gap']:.2%}" if p["gap"] else ""
        out.print(f"plan of {exchange}: {p['status']}{gap}, {p['seconds']} s", markup=False)
        for st in p["stages"]:
            sides: dict[str, list[str]] = {}
            for q in st["persons"]:
                sides.setdefault(q["side"], []).append(q["person"])
            for side, ps in sides.items():
                out.print(f"stage {st['stage']}, {side} hands over {len(ps)}: {', '.join(ps)}", markup=False)
        longest = max([len(r["person"]) for r in p["reasons"]] or [6])
        if _fits([longest, 4, 5], 1, 20):
            t = Table(Column("person", no_wrap=True), Column("side", no_wrap=True), Column("stage", no_wrap=True),
                      Column("why", overflow="fold"), title="reasons")
            for r in p["reasons"]:
                t.add_row(r["person"], r["side"], "out" if r["stage"] is None else str(r["stage"]), _why(r))
            out.print(t)
        else:
            for r in p["reasons"]:
                where = "out" if r["stage"] is None else f"stage {r['stage']}"
                out.print(f"[bold]{r['person']}[/bold] ({r['side']}): {where}")
                out.print(f"  {_why(r)}", markup=False)
    if not sign_it:
        return
    r = _call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/plans", {**ask, "note": note})
    if as_json:
        out.print_json(data=r)
        return
    _receipt(r, f"plan of {exchange}")
    signed = (_get(url, token, exchange)["plan"] or {}).get("stages")
    if signed != [{"stage": st["stage"], "persons": st["persons"]} for st in p["stages"]]:
        console.print("the plan recorded differs from the one shown (the lists or interviews changed meanwhile): "
                      f"see parley exchange show {exchange}", style="yellow", markup=False)


# -- handover -------------------------------------------------------------------------------------------------

@app.command("handover")
def handover(exchange: str, person: Annotated[str, typer.Argument(help="The sending side's record of the person")],
             stage: StageNo,
             step: Annotated[str, typer.Option(
                 "--step", help="handed_over (the sending side), received (the receiving side) or witnessed (a "
                                "mediator)")],
             at: AtOpt = None,
             as_person: Annotated[str | None, typer.Option(
                 "--as", help="received: your party's own record of the person, checked by the name keys")] = None,
             place: Annotated[str, typer.Option(help="Where")] = "",
             note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Confirm one person at the handover (exchange.handover): the registry follows (the sender's record
    becomes released, the receiver's own record named with --as repatriated)."""
    body: dict[str, Any] = {"person": person, "stage": stage, "step": step, "at": at or _now(), "place": place,
                            "note": note}
    if as_person:
        body["as_person"] = as_person
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/handover", body),
             f"{person} {_words(step)}")


STEPS = ("handed_over", "received", "witnessed")


def _step(b: dict[str, Any], step: str) -> str:
    s = b["steps"].get(step)
    return "—" if s is None else s["at"][:16].replace("T", " ")


@app.command("board")
def board(exchange: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The handover board: each person of the current plan with each confirmation so far (handed over by the
    sending side, received by the receiving side, witnessed by a mediator; times in UTC)."""
    data = _call(url, token, "GET", f"/api/exchanges/{_q(exchange)}/handover")
    if as_json:
        out.print_json(data=data)
        return
    persons = data["persons"]
    if not persons:
        out.print("no plan yet")
        return
    longest = max(len(b["person"]["id"]) for b in persons)
    own = max([len(b["as_person"]["id"]) for b in persons if b["as_person"]] or [2])
    if _fits([5, 4, longest, own], 2, 14):
        t = Table(Column("stage", no_wrap=True), Column("side", no_wrap=True), Column("person", no_wrap=True),
                  Column("name", overflow="fold"), Column("as", no_wrap=True),
                  Column("confirmed (UTC)", overflow="fold"))
        for b in persons:
            steps = "\n".join(f"{_words(s)} {_step(b, s)}" for s in STEPS)
            t.add_row(str(b["stage"]), b["side"], b["person"]["id"], _name(b["person"]),
                      b["as_person"]["id"] if b["as_person"] else "", steps)
        out.print(t)
    else:
        for b in persons:
            mark = "" if b["complete"] else "  [yellow]open[/yellow]"
            out.print(f"stage {b['stage']}, {b['side']}: [bold]{b['person']['id']}[/bold]{mark}")
            if _name(b["person"]):
                out.print(f"  {_name(b['person'])}", markup=False)
            if b["as_person"]:
                out.print(f"  as {b['as_person']['id']}", markup=False)
            out.print("  " + "; ".join(f"{_words(s)} {_step(b, s)}" for s in STEPS), markup=False)
    done = sum(1 for b in persons if b["complete"])
    out.print(f"{done} of {len(persons)} confirmed by both sides and a mediator", markup=False)
    for b in persons:
        if not b["complete"]:
            missing = [_words(s) for s in STEPS if s not in b["steps"]]
            out.print(f"{b['person']['id']}: not yet {', '.join(missing)}", style="yellow", markup=False)


# -- remains --------------------------------------------------------------------------------------------------

@app.command("remains")
def remains(exchange: str, stage: StageNo,
            count: Annotated[str, typer.Option(
                "--count", help="How many, as stated: 50, >200 (more than), >=200, ~50 (about), 48-52")],
            body: Annotated[list[str] | None, typer.Option("--body", help="A body's tag, repeatable")] = None,
            from_file: Annotated[Path | None, typer.Option("--from-file", help="Bodies' tags, one a line")] = None,
            at: AtOpt = None, place: Annotated[str, typer.Option(help="Where")] = "", note: NoteOpt = "",
            url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Remains your party hands over in a stage (exchange.remains): the count as stated ("more than 200"
    stays a lower bound) and the tags of the bodies."""
    tags = [*(body or []), *(_ids_from(from_file) if from_file else [])]
    payload = {"stage": stage, "count": _figure(count, "--count"), "bodies": tags, "at": at or _now(),
               "place": place, "note": note}
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/remains", payload),
             f"remains of stage {stage}: {count.strip()}, {len(tags)} bodies tagged")


@app.command("identify")
def identify(exchange: str, body: Annotated[str, typer.Argument(help="The body's tag")],
             state: Annotated[str, typer.Option(help="preliminary, dna_sampled or identified")],
             person: Annotated[str | None, typer.Option(
                 help="identified: the registry's missing or dead person (whose status becomes remains "
                      "returned)")] = None,
             note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A body's identification advances (exchange.identify): preliminary, DNA sample taken, identified."""
    payload: dict[str, Any] = {"body": body, "state": state, "note": note}
    if person:
        payload["person"] = person
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/identifications", payload),
             f"body {body} {_words(state)}")


@app.command("bodies")
def bodies(exchange: str,
           state: Annotated[str | None, typer.Option(help="Only bodies in this state")] = None,
           url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The remains handed over in each stage (the count as stated) and every body with its identification."""
    data = _call(url, token, "GET", f"/api/exchanges/{_q(exchange)}/bodies")
    if as_json:
        out.print_json(data=data)
        return
    if not data["remains"]:
        out.print("no remains handed over")
        return
    rt = Table(Column("#", no_wrap=True), Column("stage", no_wrap=True), Column("from → to", no_wrap=True),
               Column("count", overflow="fold"), Column("at (UTC)", overflow="fold"), Column("place", overflow="fold"),
               title="remains")
    for r in data["remains"]:
        rt.add_row(str(r["record"]), str(r["stage"]), f"{r['sender']} → {r['receiver']}", _figure_words(r["count"]),
                   r["at"], r["place"])
    out.print(rt)
    shown = [b for b in data["bodies"] if state is None or b["state"] == state]
    if shown:
        bt = Table(Column("body", no_wrap=True), Column("stage", no_wrap=True), Column("from", no_wrap=True),
                   Column("state", overflow="fold"), Column("person", no_wrap=True), title="bodies")
        for b in shown:
            bt.add_row(b["tag"], str(b["stage"]), b["sender"], _words(b["state"]), b["person"] or "")
        out.print(bt)
    states: dict[str, int] = {}
    for b in data["bodies"]:
        states[b["state"]] = states.get(b["state"], 0) + 1
    out.print(f"{len(data['bodies'])} bodies: " + ", ".join(f"{n} {_words(s)}" for s, n in sorted(states.items())),
              markup=False)


# -- counts, reconciliation, status and release ---------------------------------------------------------------

def _side(total: str, by: list[str] | None, what: str) -> dict[str, Any]:
    side: dict[str, Any] = {"total": _figure(total, what)}
    for item in by or []:
        name, _, fig = item.partition("=")
        if not name or not fig:
            raise _fail(f"{item!r}: write CATEGORY=FIGURE, e.g. wounded=3")
        side.setdefault("by_category", {})[name.strip()] = _figure(fig, f"{what}-by {name}")
    return side


ByOpt = "CATEGORY=FIGURE by category (wounded, officer, soldier, civilian, remains), repeatable"


@app.command("count")
def count(exchange: str,
          sent: Annotated[str, typer.Option(help="What your party sent, as stated: 10, >200, ~50, 48-52")],
          received: Annotated[str, typer.Option(help="What your party received, as stated")],
          stage: Annotated[int | None, typer.Option(help="This stage only (default: the whole exchange)")] = None,
          sent_by: Annotated[list[str] | None, typer.Option(help=f"Sent: {ByOpt}")] = None,
          received_by: Annotated[list[str] | None, typer.Option(help=f"Received: {ByOpt}")] = None,
          note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Your party's own count of what it sent and received (exchange.count), in all or in a stage, each
    figure as stated; kept beside the other side's and the person-by-person tally (parley exchange
    reconcile)."""
    body: dict[str, Any] = {"sent": _side(sent, sent_by, "--sent"), "received": _side(received, received_by,
                                                                                      "--received"), "note": note}
    if stage is not None:
        body["stage"] = stage
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/counts", body))


WHY_DIFF = {"planned_not_handed_over": "planned, not confirmed handed over",
            "handed_over_not_received": "handed over, not confirmed received",
            "stated_fewer": "the figure stated is below the tally"}


@app.command("reconcile")
def reconcile(exchange: str,
              stage: Annotated[int | None, typer.Option(help="This stage only (default: the whole exchange)")] = None,
              url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """Each party's own count beside the person-by-person tally of the handover confirmations (and the bodies
    handed over), and who accounts for every difference."""
    query = f"?{urlencode({'stage': stage})}" if stage is not None else ""
    data = _call(url, token, "GET", f"/api/exchanges/{_q(exchange)}/reconciliation{query}")
    if as_json:
        out.print_json(data=data)
        return
    out.print(f"{exchange}, " + (f"stage {stage}" if stage is not None else "the whole exchange"), markup=False)
    t = Table(Column("party", no_wrap=True), Column("what", no_wrap=True), Column("stated", overflow="fold"),
              Column("tally", no_wrap=True), Column("agrees", no_wrap=True), Column("difference", overflow="fold"))
    for ln in data["lines"]:
        agrees = "—" if ln["agrees"] is None else "yes" if ln["agrees"] else "no"
        what = ln["what"] + (f" ({ln['category']})" if ln.get("category") else "")
        t.add_row(ln["party"], what, "(not stated)" if ln["stated"] is None else _figure_words(ln["stated"]),
                  str(ln["tally"]) if ln.get("tally_high", ln["tally"]) == ln["tally"]
                  else f"{ln['tally']}+" if ln.get("tally_high") is None else f"{ln['tally']}-{ln['tally_high']}",
                  agrees, WHY_DIFF.get(ln["why"], _words(ln["why"])))
    out.print(t)
    # Who accounts for a difference, below the table: ids are never folded.
    for ln in data["lines"]:
        if ln["persons"]:
            what = ln["what"] + (f" ({ln['category']})" if ln.get("category") else "")
            out.print(f"{ln['party']} {what}, {WHY_DIFF.get(ln['why'], _words(ln['why']))}: "
                      f"{', '.join(ln['persons'])}", markup=False)
    for c in data["counts"]:
        where = f"stage {c['stage']}" if c["stage"] is not None else "in all"
        figs = c["figures"]
        out.print(f"#{c['record']} {c['party']} ({where}, {c['at']}): sent {_figure_words(figs['sent']['total'])}, "
                  f"received {_figure_words(figs['received']['total'])}" + (f"; {c['note']}" if c["note"] else ""),
                  markup=False)


@app.command("status")
def status(exchange: str,
           new: Annotated[str, typer.Argument(metavar="STATUS", help="completed, suspended, cancelled or under_way "
                                                                     "(resumed after suspended)")],
           reason: Annotated[str, typer.Option(help="Why")] = "",
           url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A mediator declares the exchange completed, suspended, resumed (under_way) or cancelled
    (exchange.status)."""
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/status", {"status": new, "reason": reason}),
             f"{exchange} {_words(new)}")


@app.command("release")
def release(exchange: str,
            sent: Annotated[str, typer.Option(help="The figure your party makes public of those it sent")],
            received: Annotated[str, typer.Option(help="… and of those it received")],
            note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Release a completed exchange for your party (exchange.release): the figures it makes public, no names.
    Its press officers may then read them (parley exchange released)."""
    body = {"sent": _figure(sent, "--sent"), "received": _figure(received, "--received"), "note": note}
    _receipt(_call(url, token, "POST", f"/api/exchanges/{_q(exchange)}/release", body), f"release of {exchange}")


# -- the act of transfer --------------------------------------------------------------------------------------

@app.command("act")
def act(exchange: str, stage: StageNo,
        sender: Annotated[str, typer.Option(help="The party that handed over")],
        out_file: Annotated[Path, typer.Option("--out", "-o", help="Write the PDF to this file")],
        lang: Annotated[str, typer.Option(help="uk, ru or en")] = "en",
        url: Url = DEFAULT_URL, token: Token = "") -> None:
    """The act of transfer of a stage from one party, as a PDF in one language: parties, mediators, place, time,
    formula, every person handed over with each side's registry fields, the counts, a signature block, and each
    person's confirming record (log index and hash, also as a QR code). Refused before the handover."""
    query = urlencode({"stage": stage, "sender": sender, "lang": lang})
    pdf = _fetch(url, token, f"/api/exchanges/{_q(exchange)}/act?{query}")
    if not pdf.startswith(b"%PDF"):
        console.print("the server did not answer a PDF", style="red", markup=False)
        raise typer.Exit(1)
    try:
        out_file.write_bytes(pdf)
    except OSError as exc:
        raise _fail(f"{out_file}: {exc}") from None
    console.print(f"wrote the act of stage {stage} of {exchange} from {sender} ({lang}, {len(pdf):,} bytes) to "
                  f"{out_file}", markup=False, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="exchange")
