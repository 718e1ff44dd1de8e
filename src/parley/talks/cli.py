"""``parley talks``: processes, actors, rounds and meetings, tracks, points and each party's positions, statements,
joint texts and their sign-off, implementation, and the export of a process's provisions, from the command line,
through the server's HTTP API (``/api/talks``) with your API token (the server signs with the key it holds for
you). To sign with your own key instead, write the same payloads (``talks.*`` kinds) with ``parley record submit``.

A hash a command prints or takes is the SHA-256 of the text's UTF-8 bytes exactly as written: a file read with
``--text-file`` or ``--body-file`` is sent byte for byte, so ``sha256sum FILE`` gives the hash the server keeps.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from rich.text import Text

# Shared with every client command (``parley.client``); the short names are this module's own.
from parley.client import AsJson, Token, Url, http_client
from parley.client import call as _call
from parley.client import receipt as _receipt
from parley.client import refused as _refused

app = typer.Typer(help="Talks: processes, rounds and meetings, points and positions, joint texts and sign-off, "
                       "implementation.", no_args_is_help=True)
actor_app = typer.Typer(help="Actors: the people who speak and act in talks (not members of Parley).",
                        no_args_is_help=True)
meeting_app = typer.Typer(help="Rounds, meetings and an intermediary's visits.", no_args_is_help=True)
track_app = typer.Typer(help="Tracks of a process (military, humanitarian, political).", no_args_is_help=True)
point_app = typer.Typer(help="Points of a track, and each party's position on them.", no_args_is_help=True)
text_app = typer.Typer(help="Joint texts: versions, sign-off by every party.", no_args_is_help=True)
app.add_typer(actor_app, name="actor")
app.add_typer(meeting_app, name="meeting")
app.add_typer(track_app, name="track")
app.add_typer(point_app, name="point")
app.add_typer(text_app, name="text")
console = Console(stderr=True)
out = Console()

DEFAULT_URL = "http://127.0.0.1:8000"
SHORT = 8  # hex digits of a hash shown in tables; every command that takes a hash also takes such a prefix

# -- options several commands share ---------------------------------------------------------------------------

AudienceOpt = Annotated[str | None, typer.Option(
    "--audience", help="Who reads it, comma-separated audience tokens (default: the process's parties and "
                       "mediators; for a back channel or a military channel, 'only' and its parties' negotiators)")]
IdOpt = Annotated[str | None, typer.Option(
    "--id", help="The new object's id, starting with your party's slug and a dash (default: generated)")]
NoteOpt = Annotated[str, typer.Option("--note", help="A note kept with the record")]
SourceKind = Annotated[str | None, typer.Option(
    "--source", help="Where it comes from: party_statement, named_official, mediator, document, "
                     "media_citing_officials, anonymous_officials or media_report")]
SourceSpeaker = Annotated[str | None, typer.Option("--source-speaker", help="The named official who said it")]
SourceBody = Annotated[str | None, typer.Option("--source-body", help="The body the official speaks for")]
Outlet = Annotated[str | None, typer.Option("--outlet", help="Who published it (a media report)")]
StatedOn = Annotated[str | None, typer.Option("--stated-on", help="When it was said or published, YYYY-MM-DD")]
Reference = Annotated[str | None, typer.Option("--reference", help="A document's or report's reference")]
SourceUrl = Annotated[str | None, typer.Option("--source-url", help="Where it was published")]
Quote = Annotated[str | None, typer.Option("--quote", help="The words as published")]
Confirmation = Annotated[str | None, typer.Option(
    "--confirmation", help="confirmed, unconfirmed (the default), preliminary or disputed")]
TextOpt = Annotated[str | None, typer.Option("--text", help="The text")]
TextFile = Annotated[Path | None, typer.Option("--text-file", help="The text, from a UTF-8 file (sent exactly)")]


def _source(kind: str | None, **fields: str | None) -> dict[str, Any] | None:
    """The ``source`` of a payload from the source options, or None when none is given (the party's own word)."""
    given = {k: v for k, v in fields.items() if v}
    if kind is None and not given:
        return None
    return {"kind": kind or "party_statement", **given}


def _with_source(payload: dict[str, Any], kind: str | None, speaker: str | None, body: str | None,
                 outlet: str | None, stated_on: str | None, reference: str | None, source_url: str | None,
                 quote_: str | None, confirmation: str | None) -> dict[str, Any]:
    src = _source(kind, speaker=speaker, body=body, outlet=outlet, stated_on=stated_on, reference=reference,
                  url=source_url, quote=quote_, confirmation=confirmation)
    if src is not None:
        payload["source"] = src
    return payload


def _audience(text: str | None) -> list[str] | None:
    return [a.strip() for a in text.split(",") if a.strip()] if text else None


def _list(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _fail(message: str) -> typer.Exit:
    console.print(message, style="red", markup=False)
    return typer.Exit(2)


def _read(path: Path) -> str:
    """A text file as it is: its UTF-8 bytes decoded, line ends and all (so its hash is the file's)."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: {exc}") from None


def _one_text(text: str | None, text_file: Path | None, *, required: bool, what: str = "--text") -> str | None:
    if text is not None and text_file is not None:
        raise _fail(f"give {what} or {what}-file, not both")
    if text_file is not None:
        return _read(text_file)
    if text is None and required:
        raise _fail(f"give {what} TEXT or {what}-file FILE")
    return text


def sha256(text: str) -> str:
    """The hash a position or a sign-off names: SHA-256 of the text's UTF-8 bytes (``talks.kinds.sha256_text``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _q(ident: str) -> str:
    return quote(ident, safe="")


def _short(h: str | None) -> str:
    return h[:SHORT] if h else ""


def _words(code: str | None) -> str:
    return (code or "").replace("_", " ")


def _said_by(src: dict[str, Any] | None) -> str:
    """A source in a line: its kind, who said it, when, the reference and how far it is confirmed."""
    if not src:
        return "its own statement"
    who = ", ".join(x for x in (src.get("speaker"), src.get("body"), src.get("outlet")) if x)
    return "; ".join(x for x in (_words(src.get("kind", "party_statement")), who, src.get("stated_on") or "",
                                 src.get("reference", ""), src.get("confirmation", "unconfirmed")) if x)


def _unconfirmed(src: dict[str, Any] | None) -> bool:
    """Reported from anonymous sources or by the media and not confirmed: never shown as fact."""
    if not src:
        return False
    return src.get("kind") in ("anonymous_officials", "media_report", "media_citing_officials") \
        and src.get("confirmation", "unconfirmed") != "confirmed"


def _fits(fixed: list[int], folding: int, least: int = 12) -> bool:
    """Does a table with no-wrap columns this wide and ``folding`` columns of at least ``least`` characters fit
    the terminal? (Each column takes two spaces of padding and a border.)"""
    columns = len(fixed) + folding
    return out.width >= sum(fixed) + folding * least + 3 * columns + 1


def _fetch(url: str, token: str, path: str) -> bytes:
    """A file the server answers (an export), as its bytes; a refusal ends the command as ``parley.client.call``."""
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


# -- processes ------------------------------------------------------------------------------------------------

def _who(p: dict[str, Any]) -> str:
    mediators = f" (mediators {', '.join(p['mediators'])})" if p["mediators"] else ""
    return ", ".join(p["parties"]) + mediators


@app.command("list")
def list_processes(url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The processes you may read."""
    data = _call(url, token, "GET", "/api/talks/processes")
    if as_json:
        out.print_json(data=data)
        return
    # Ids are never wrapped or cut (the next command needs them whole); long text folds, never ellipsized.
    t = Table(Column("id", no_wrap=True), Column("process", overflow="fold"), Column("status", no_wrap=True))
    for p in data["processes"]:
        t.add_row(p["id"], f"{p['title']}\n{_words(p['format'])}: {_who(p)}", p["status"])
    out.print(t)


def _audience_line(audience: list[str]) -> str:
    if "only" in audience:
        return "read only by " + ", ".join(a for a in audience if a != "only")
    return "read by " + ", ".join(audience) + " (and every mediator)"


@app.command("show")
def show(process: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """A process: its parties and intermediaries, status history, tracks, meetings, joint texts, preconditions and
    its timeline."""
    p = _call(url, token, "GET", f"/api/talks/processes/{_q(process)}")
    if as_json:
        out.print_json(data=p)
        return
    out.print(f"[bold]{escape(p['title'])}[/bold] ({p['id']}): {p['status']}")
    started = f"; started {p['started_on']}" if p["started_on"] else ""
    out.print(f"{_words(p['format'])} between {_who(p)}; authorisation {p['authorisation']}{started}", markup=False)
    for m in p["intermediaries"]:
        extra = ", ".join(x for x in ((f"for {m['acting_for']}" if m.get("acting_for") else ""), m.get("role", ""))
                          if x)
        out.print(f"intermediary {m['actor']}" + (f" ({extra})" if extra else ""), markup=False)
    if p["source"]:
        out.print(f"source: {_said_by(p['source'])}", markup=False)
    if _unconfirmed(p["source"]):
        out.print("(hearsay: reported, not confirmed)", style="yellow", markup=False)
    if p["note"]:
        out.print(p["note"], markup=False)
    out.print(_audience_line(p["audience"]), markup=False)
    st = Table(Column("status", overflow="fold"), Column("since", overflow="fold"), Column("reason", overflow="fold"),
               Column("by", no_wrap=True), title="status")
    for x in p["statuses"]:
        st.add_row(x["status"], x["since"] or x["at"][:10], x["reason"], x["by"])
    out.print(st)
    if p["tracks"]:
        tr = Table(Column("track", no_wrap=True), Column("name", overflow="fold"), title="tracks")
        for t in p["tracks"]:
            tr.add_row(t["id"], t["name"])
        out.print(tr)
    if p["meetings"]:
        mt = Table(Column("meeting", no_wrap=True), Column("title", overflow="fold"), Column("status", overflow="fold"),
                   Column("when (UTC)", overflow="fold"), Column("venue", overflow="fold"), title="rounds and meetings")
        for m in p["meetings"]:
            mt.add_row(m["id"], m["title"], m["status"], _when(m), (m["venue"] or {}).get("name", ""))
        out.print(mt)
    if p["texts"]:
        tx = Table(Column("text", no_wrap=True), Column("title", overflow="fold"), Column("version", no_wrap=True),
                   Column("agreed", overflow="fold"), title="joint texts")
        for t in p["texts"]:
            agreed = "yes" if t["agreed"] else (f"version {t['agreed_version']}" if t["agreed_version"] else "no")
            tx.add_row(t["id"], t["title"], str(t["version"]), agreed)
        out.print(tx)
    for x in p["preconditions"]:
        out.print(f"precondition of {x['on_behalf'] or x['party']}: {x['text']}", markup=False)
    tl = Table(Column("at (UTC)", overflow="fold"), Column("what", overflow="fold"), Column("ref", no_wrap=True),
               Column("summary", overflow="fold"), title="timeline")
    for e in p["timeline"]:
        tl.add_row(e["at"], _words(e["what"]), e["ref"], e["summary"])
    out.print(tl)


def _when(m: dict[str, Any]) -> str:
    when = m["actual_start"] or m["scheduled_start"] or ""
    notes = [n for n in (m["scheduled_note"] if not m["actual_start"] else "", m["duration_note"]) if n]
    if m["duration_minutes"]:
        notes.append(f"{m['duration_minutes']} min")
    return " ".join([when, *(f"({n})" for n in notes)]).strip()


@app.command("open")
def open_process(
        title: str,
        form: Annotated[str, typer.Option("--format", help="official_talks, back_channel or military_channel")],
        parties: Annotated[str, typer.Option("--parties", help="The belligerent parties, comma-separated: ua,ru")],
        mediators: Annotated[str, typer.Option("--mediators", help="Mediator parties, comma-separated")] = "",
        intermediary: Annotated[list[str] | None, typer.Option(
            "--intermediary", help="ACTOR[:FOR[:ROLE]]: a named intermediary, the party it acts for and its role; "
                                   "repeatable")] = None,
        authorisation: Annotated[str, typer.Option(help="authorised, unauthorised or unknown")] = "unknown",
        started_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
        status: Annotated[str, typer.Option(help="active, paused or frozen")] = "active",
        note: NoteOpt = "", process_id: IdOpt = None, audience: AudienceOpt = None,
        source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
        outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None, source_url: SourceUrl = None,
        quote_: Quote = None, confirmation: Confirmation = None,
        url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Open a process between parties, with its format, mediators and intermediaries. A back channel's or a
    military channel's records are closed to its parties' negotiators (and its mediators')."""
    intermediaries = []
    for item in intermediary or []:
        actor, _, rest = item.partition(":")
        acting_for, _, role = rest.partition(":")
        if not actor:
            raise _fail(f"{item!r}: write ACTOR[:FOR[:ROLE]]")
        entry: dict[str, Any] = {"actor": actor, "role": role}
        if acting_for:
            entry["acting_for"] = acting_for
        intermediaries.append(entry)
    payload: dict[str, Any] = {"title": title, "format": form, "parties": _list(parties),
                               "mediators": _list(mediators), "intermediaries": intermediaries,
                               "authorisation": authorisation, "status": status, "note": note}
    if started_on:
        payload["started_on"] = started_on
    _with_source(payload, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    body: dict[str, Any] = {"process": payload}
    if process_id:
        body["id"] = process_id
    if audience:
        body["audience"] = _audience(audience)
    r = _call(url, token, "POST", "/api/talks/processes", body)
    _receipt(r, f"process {r['id']}")


@app.command("status")
def set_status(process: str,
               status: Annotated[str, typer.Argument(help="active, paused, frozen, resumed or ended")],
               since: Annotated[str | None, typer.Option(help="Since when, YYYY-MM-DD")] = None,
               reason: str = "",
               source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
               outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
               source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
               url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Record a change of the process's status (as a party or its source stated it)."""
    body: dict[str, Any] = {"status": status, "reason": reason}
    if since:
        body["since"] = since
    _with_source(body, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    _receipt(_call(url, token, "POST", f"/api/talks/processes/{_q(process)}/status", body))


# -- actors ---------------------------------------------------------------------------------------------------

@app.command("actors")
def list_actors(query: Annotated[str, typer.Argument(help="A name in any script or spelling")] = "",
                url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The actors you may read; with a name, those it matches in any script or spelling (Kovalev, Kovalyov and
    Ковальов find the same actor)."""
    data = _call(url, token, "GET", "/api/talks/actors" + (f"?{urlencode({'q': query})}" if query else ""))
    if as_json:
        out.print_json(data=data)
        return
    if not data["actors"]:
        out.print("no actors found")
        return
    t = Table(Column("actor", no_wrap=True), Column("names", overflow="fold"), Column("for", no_wrap=True),
              Column("body, title", overflow="fold"))
    for a in data["actors"]:
        t.add_row(a["id"], " / ".join(a["names"]), a["acts_for"] or "", ", ".join(x for x in (a["body"], a["title"])
                                                                                    if x))
    out.print(t)


@actor_app.command("add")
def actor_add(names: Annotated[list[str], typer.Argument(help="The actor's name as written in each script")],
              acts_for: Annotated[str | None, typer.Option(help="The party the actor acts for")] = None,
              body: Annotated[str, typer.Option(
                  "--body", help="The body inside the party: a directorate, a ministry")] = "",
              title: Annotated[str, typer.Option(help="Position or rank: head of delegation, lawmaker")] = "",
              note: NoteOpt = "", actor_id: IdOpt = None,
              process: Annotated[str | None, typer.Option(help="Take this process's audience")] = None,
              audience: AudienceOpt = None,
              source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
              outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
              source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
              url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Register an actor: someone who speaks or acts in talks, with their names in every script they are written
    in. Read by your party unless --process or --audience says otherwise."""
    payload: dict[str, Any] = {"names": names, "body": body, "title": title, "note": note}
    if acts_for:
        payload["acts_for"] = acts_for
    _with_source(payload, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    req: dict[str, Any] = {"actor": payload}
    if actor_id:
        req["id"] = actor_id
    if process:
        req["process"] = process
    if audience:
        req["audience"] = _audience(audience)
    r = _call(url, token, "POST", "/api/talks/actors", req)
    _receipt(r, f"actor {r['id']}")


@actor_app.command("show")
def actor_show(actor: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """An actor: names in every script, the party and body they act for, the source."""
    a = _call(url, token, "GET", f"/api/talks/actors/{_q(actor)}")
    if as_json:
        out.print_json(data=a)
        return
    out.print(f"[bold]{escape(a['names'][0])}[/bold] ({a['id']})")
    for line in (" / ".join(a["names"]), ", ".join(x for x in (f"for {a['acts_for']}" if a["acts_for"] else "",
                                                               a["body"], a["title"]) if x),
                 a["note"], f"source: {_said_by(a['source'])}" if a["source"] else ""):
        if line:
            out.print(line, markup=False)


# -- rounds and meetings --------------------------------------------------------------------------------------

def _delegations(items: list[str] | None) -> list[dict[str, Any]] | None:
    if not items:
        return None
    out_: list[dict[str, Any]] = []
    for item in items:
        party, _, rest = item.partition(":")
        head, _, members = rest.partition(":")
        if not party:
            raise _fail(f"{item!r}: write PARTY[:HEAD[:MEMBER,MEMBER…]]")
        d: dict[str, Any] = {"party": party, "members": _list(members)}
        if head:
            d["head"] = head
        out_.append(d)
    return out_


def _venue(name: str | None, lon: float | None, lat: float | None) -> dict[str, Any] | None:
    if name is None:
        if lon is not None or lat is not None:
            raise _fail("a position (--lon, --lat) needs the venue's name (--venue)")
        return None
    venue: dict[str, Any] = {"name": name}
    if (lon is None) != (lat is None):
        raise _fail("give both --lon and --lat")
    if lon is not None:
        venue["position"] = [lon, lat]
    return venue


DelegationOpt = Annotated[list[str] | None, typer.Option(
    "--delegation", help="PARTY[:HEAD[:MEMBER,MEMBER…]]: a party's delegation, its head and members (actors); "
                         "repeatable")]
VenueOpt = Annotated[str | None, typer.Option("--venue", help="Where: a place name")]
Lon = Annotated[float | None, typer.Option("--lon", help="The venue's longitude")]
Lat = Annotated[float | None, typer.Option("--lat", help="The venue's latitude")]
Start = Annotated[str | None, typer.Option(help="ISO 8601 with its offset, e.g. 2022-03-03T17:50:00+03:00")]


@meeting_app.command("add")
def meeting_add(process: str, title: str,
                kind: Annotated[str, typer.Option(help="round, meeting or visit")] = "meeting",
                number: Annotated[int | None, typer.Option(help="The round's or visit's number")] = None,
                status: Annotated[str | None, typer.Option(
                    help="planned or held (default: held when --actual-start is given)")] = None,
                venue: VenueOpt = None, lon: Lon = None, lat: Lat = None,
                scheduled_start: Start = None,
                scheduled_note: Annotated[str, typer.Option(help="When, in words, if no time is set")] = "",
                actual_start: Start = None,
                duration_minutes: Annotated[int | None, typer.Option(help="How long it lasted")] = None,
                duration_note: Annotated[str, typer.Option(help="How long, in words: less than three hours")] = "",
                time_zone: Annotated[str, typer.Option(help="The venue's time zone, e.g. Europe/Minsk")] = "UTC",
                form: Annotated[str, typer.Option("--format", help="in_person, video or mixed")] = "in_person",
                delegation: DelegationOpt = None,
                participant: Annotated[list[str] | None, typer.Option(
                    help="An actor taking part beyond the delegations; repeatable")] = None,
                note: NoteOpt = "", meeting_id: IdOpt = None, audience: AudienceOpt = None,
                source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
                outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
                source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
                url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Record a round, a meeting or an intermediary's visit in a process, planned or held."""
    payload: dict[str, Any] = {"kind": kind, "title": title, "status": status or ("held" if actual_start else
                                                                                  "planned"),
                               "scheduled_note": scheduled_note, "duration_note": duration_note,
                               "time_zone": time_zone, "format": form, "participants": participant or [],
                               "note": note}
    for name, value in (("number", number), ("venue", _venue(venue, lon, lat)), ("scheduled_start", scheduled_start),
                        ("actual_start", actual_start), ("duration_minutes", duration_minutes),
                        ("delegations", _delegations(delegation))):
        if value is not None:
            payload[name] = value
    _with_source(payload, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    body: dict[str, Any] = {"meeting": payload}
    if meeting_id:
        body["id"] = meeting_id
    if audience:
        body["audience"] = _audience(audience)
    r = _call(url, token, "POST", f"/api/talks/processes/{_q(process)}/meetings", body)
    _receipt(r, f"meeting {r['id']}")


@meeting_app.command("change")
def meeting_change(meeting: str,
                   status: Annotated[str | None, typer.Option(help="planned, held, postponed or cancelled")] = None,
                   venue: VenueOpt = None, lon: Lon = None, lat: Lat = None,
                   scheduled_start: Start = None, scheduled_note: str | None = None, actual_start: Start = None,
                   duration_minutes: int | None = None, duration_note: str | None = None,
                   form: Annotated[str | None, typer.Option("--format", help="in_person, video or mixed")] = None,
                   delegation: DelegationOpt = None,
                   reason: Annotated[str, typer.Option(help="Why it changed")] = "",
                   source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
                   outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
                   source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
                   url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Record a change of a meeting: held (with its actual start), postponed, cancelled, another venue or date.
    Every change is kept with what it was before."""
    body: dict[str, Any] = {"reason": reason}
    for name, value in (("status", status), ("venue", _venue(venue, lon, lat)), ("scheduled_start", scheduled_start),
                        ("scheduled_note", scheduled_note), ("actual_start", actual_start),
                        ("duration_minutes", duration_minutes), ("duration_note", duration_note), ("format", form),
                        ("delegations", _delegations(delegation))):
        if value is not None:
            body[name] = value
    _with_source(body, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    _receipt(_call(url, token, "POST", f"/api/talks/meetings/{_q(meeting)}/changes", body))


@meeting_app.command("show")
def meeting_show(meeting: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """A meeting: when and where, the delegations, every change of date, venue or status, what was said there."""
    m = _call(url, token, "GET", f"/api/talks/meetings/{_q(meeting)}")
    if as_json:
        out.print_json(data=m)
        return
    number = f" {m['number']}" if m["number"] else ""
    out.print(f"[bold]{escape(m['title'])}[/bold] ({m['id']}, {m['kind']}{number} of {m['process']}): {m['status']}")
    venue = m["venue"] or {}
    where = venue.get("name", "") + (f" ({venue['position'][1]}, {venue['position'][0]})" if venue.get("position")
                                     else "")
    for line in (f"when (UTC): {_when(m)}; time zone {m['time_zone']}" if _when(m) else "",
                 f"where: {where}" if where else "", f"format: {_words(m['format'])}",
                 f"source: {_said_by(m['source'])}" if m["source"] else "", m["note"]):
        if line:
            out.print(line, markup=False)
    for d in m["delegations"]:
        head = f"head {d['head']}" if d.get("head") else ""
        members = ", ".join(d.get("members", []))
        out.print(f"delegation of {d['party']}: " + "; ".join(x for x in (head, members) if x), markup=False)
    if m["participants"]:
        out.print("also taking part: " + ", ".join(m["participants"]), markup=False)
    if m["changes"]:
        t = Table(Column("#", no_wrap=True), Column("at (UTC)", overflow="fold"), Column("change", overflow="fold"),
                  Column("by", no_wrap=True), title="changes")
        for c in m["changes"]:
            what = "; ".join(f"{_words(k)}: {_value(v[0])} → {_value(v[1])}" for k, v in c["changes"].items())
            if c["reason"]:
                what += f" ({c['reason']})"
            t.add_row(str(c["record"]), c["at"], what, c["by"])
        out.print(t)
    _print_statements(m["statements"])


def _value(v: Any) -> str:
    if v is None or v == "":
        return "—"
    if isinstance(v, dict) and "name" in v:
        return str(v["name"])
    if isinstance(v, list):
        return ", ".join(str(x.get("party", x)) if isinstance(x, dict) else str(x) for x in v) or "—"
    return str(v)


# -- tracks, points and positions -----------------------------------------------------------------------------

@track_app.command("add")
def track_add(process: str, name: str, note: NoteOpt = "", track_id: IdOpt = None, audience: AudienceOpt = None,
              url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Open a track of a process (military, international humanitarian, political settlement)."""
    body: dict[str, Any] = {"name": name, "note": note}
    if track_id:
        body["id"] = track_id
    if audience:
        body["audience"] = _audience(audience)
    r = _call(url, token, "POST", f"/api/talks/processes/{_q(process)}/tracks", body)
    _receipt(r, f"track {r['id']}")


@point_app.command("add")
def point_add(track: str, title: str, text: TextOpt = None, text_file: TextFile = None, point_id: IdOpt = None,
              audience: AudienceOpt = None, url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Open a point of a track, optionally with a first wording (a draft: no party's position)."""
    body: dict[str, Any] = {"title": title}
    wording = _one_text(text, text_file, required=False)
    if wording is not None:
        body["text"] = wording
    if point_id:
        body["id"] = point_id
    if audience:
        body["audience"] = _audience(audience)
    r = _call(url, token, "POST", f"/api/talks/tracks/{_q(track)}/points", body)
    _receipt(r, f"point {r['id']}")
    if wording is not None:
        out.print(f"wording SHA-256 {sha256(wording)}", highlight=False)


def _position_cell(c: dict[str, Any] | None) -> str:
    if c is None:
        return "—"
    return c["position"] + (f" {_short(c['sha256'])}" if c["sha256"] else "")


@app.command("board")
def board(process: str, track: Annotated[str | None, typer.Option(help="Only this track's points")] = None,
          offset: Annotated[int, typer.Option(help="Skip this many points")] = 0,
          limit: Annotated[int, typer.Option(help="Points on the page (at most 2,000)")] = 200,
          url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The points board: each party's current position on each point side by side, and whether the point reached
    mutual understanding (every party currently accepts the same text); then the wordings the positions name."""
    query = {"offset": offset, "limit": limit, **({"track": track} if track else {})}
    b = _call(url, token, "GET", f"/api/talks/processes/{_q(process)}/board?{urlencode(query)}")
    if as_json:
        out.print_json(data=b)
        return
    parties = b["parties"]
    points = b["points"]
    longest = max([len(p["id"]) for p in points] or [5])
    if _fits([longest, 6, *(len("counter_proposed") for _ in parties)], 1):
        t = Table(Column("point", no_wrap=True), Column("title", overflow="fold"), Column("agreed", no_wrap=True),
                  *(Column(party, no_wrap=True) for party in parties))
        for p in points:
            t.add_row(p["id"], p["title"], "yes" if p["agreed"] else "",
                      *("\n".join(_position_cell(p["positions"][party]).split(" ", 1)) for party in parties))
        out.print(t)
    else:
        for p in points:
            out.print(f"[bold]{p['id']}[/bold]" + ("  [green]agreed[/green]" if p["agreed"] else ""))
            out.print(f"  {p['title']}", markup=False)
            for party in parties:
                out.print(f"  {party}: {_position_cell(p['positions'][party])}", markup=False)
    shown = len(points)
    if b["total"] > b["offset"] + shown or b["offset"]:
        out.print(f"points {b['offset'] + 1}–{b['offset'] + shown} of {b['total']} (--offset, --limit)",
                  markup=False)
    if not points:
        out.print("no points")
    if b["texts"]:
        out.print("[bold]wordings[/bold]")
        for h, body in b["texts"].items():
            out.print(f"{_short(h)}  {body}", markup=False)


@point_app.command("show")
def point_show(point: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """A point: each party's current position, the history of positions, every wording proposed with its SHA-256,
    the implementation assessments and the statements about it."""
    p = _call(url, token, "GET", f"/api/talks/points/{_q(point)}")
    if as_json:
        out.print_json(data=p)
        return
    agreed = "[green]mutual understanding[/green]" if p["agreed"] else "no mutual understanding"
    out.print(f"[bold]{escape(p['title'])}[/bold] ({p['id']}, track {p['track']} of {p['process']}): {agreed}")
    if p["agreed"]:
        out.print(f"agreed text, SHA-256 {p['agreed_sha256']}:", highlight=False)
        out.print(p["agreed_text"] or "(a wording you may not read)", markup=False)
    for party, c in p["current"].items():
        stated = f" ({c['positions_stated']} position{'s' if c['positions_stated'] != 1 else ''} stated)" if c else ""
        out.print(f"{party}: {_position_cell(c)}{stated}", markup=False)
    if p["positions"]:
        h = Table(Column("#", no_wrap=True), Column("at (UTC)", overflow="fold"), Column("party", no_wrap=True),
                  Column("position", overflow="fold"), Column("wording", no_wrap=True), Column("note", overflow="fold"),
                  title="history")
        for x in p["positions"]:
            note = " — ".join(y for y in (x["note"], f"at {x['meeting']}" if x["meeting"] else "",
                                           f"source: {_said_by(x['source'])}" if x["source"] else "") if y)
            h.add_row(str(x["record"]), x["at"], x["party"], _words(x["position"]), _short(x["sha256"]), note)
        out.print(h)
    for t in p["texts"]:
        out.print(f"[bold]{t['sha256']}[/bold] (proposed by {t['party']}, #{t['record']})")
        out.print(t["text"], markup=False)
    _print_assessments(p["assessments"])
    _print_statements(p["statements"])


def _hash_arg(url: str, token: str, point: str, given: str) -> str:
    """A full SHA-256 from a prefix of one of the point's wordings (as tables show them)."""
    given = given.lower()
    if len(given) == 64:
        return given
    if len(given) < 6 or any(c not in "0123456789abcdef" for c in given):
        raise _fail("--sha256 takes a SHA-256 in hex, or the first 6 or more of its digits")
    found = {t["sha256"] for t in _call(url, token, "GET", f"/api/talks/points/{_q(point)}")["texts"]
             if t["sha256"].startswith(given)}
    if len(found) != 1:
        raise _fail(f"{given}: {'no wording' if not found else 'more than one wording'} of point {point} "
                    "starts with it")
    return found.pop()


@app.command("position")
def position(point: str,
             state: Annotated[str, typer.Argument(
                 metavar="POSITION", help="proposed, counter_proposed, accepted, rejected or reserved")],
             text: TextOpt = None, text_file: TextFile = None,
             sha: Annotated[str | None, typer.Option(
                 "--sha256", help="The wording accepted, rejected or reserved on: its SHA-256 or a prefix of it")]
             = None,
             meeting: Annotated[str | None, typer.Option(help="The meeting where it was stated")] = None,
             note: NoteOpt = "",
             source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
             outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
             source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
             url: Url = DEFAULT_URL, token: Token = "") -> None:
    """State your party's position on a point: proposed or counter_proposed with the text, accepted with the
    wording's SHA-256 (or the text itself), rejected or reserved. A point reaches mutual understanding when every
    party of the process currently accepts the same text."""
    body: dict[str, Any] = {"position": state, "note": note}
    wording = _one_text(text, text_file, required=False)
    if wording is not None:
        body["text"] = wording
    if sha is not None:
        body["sha256"] = _hash_arg(url, token, point, sha)
    if meeting:
        body["meeting"] = meeting
    _with_source(body, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    _receipt(_call(url, token, "POST", f"/api/talks/points/{_q(point)}/positions", body))
    named = body.get("sha256") or (sha256(wording) if wording is not None else None)
    if named:
        out.print(f"wording SHA-256 {named}", highlight=False)
    agreed = _call(url, token, "GET", f"/api/talks/points/{_q(point)}")
    if agreed["agreed"]:
        out.print(f"point {point}: mutual understanding on {_short(agreed['agreed_sha256'])}", style="green",
                  markup=False)


# -- statements -----------------------------------------------------------------------------------------------

def _print_statements(statements: list[dict[str, Any]]) -> None:
    for x in statements:
        who = x["on_behalf"] or x["party"]
        speaker = f", {x['speaker']}" if x["speaker"] else ""
        when = x["said_on"] or x["at"][:10]
        flag = " [yellow](hearsay: reported, not confirmed)[/yellow]" if x["hearsay"] else ""
        out.print(f"#{x['record']} {when} [bold]{_words(x['type'])}[/bold] of {escape(who)}{escape(speaker)}{flag}")
        out.print(f"  {x['text']}", markup=False)
        out.print(f"  source: {_said_by(x['source'])}; recorded by {x['by']}", markup=False, style="dim")


@app.command("statements")
def statements(process: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """What each party and principal said, or was reported to have said, with its source; a claim from anonymous
    officials or the media, not confirmed, is marked as hearsay and never shown as fact."""
    data = _call(url, token, "GET", f"/api/talks/processes/{_q(process)}/statements")
    if as_json:
        out.print_json(data=data)
        return
    if not data["statements"]:
        out.print("no statements")
    _print_statements(data["statements"])


@app.command("statement")
def statement(process: str,
              kind: Annotated[str, typer.Argument(
                  metavar="TYPE", help="communique, assessment, accusation, precondition, proposal, commitment, "
                                       "announcement, claim or other")],
              text: TextOpt = None, text_file: TextFile = None,
              language: Annotated[str, typer.Option(help="uk, ru, en or other")] = "en",
              speaker: Annotated[str | None, typer.Option(help="The actor who said it")] = None,
              on_behalf: Annotated[str | None, typer.Option(help="The party it is attributed to")] = None,
              said_on: Annotated[str | None, typer.Option(help="When it was said, YYYY-MM-DD")] = None,
              meeting: Annotated[str | None, typer.Option(help="The meeting where it was said")] = None,
              point: Annotated[str | None, typer.Option(help="The point it is about")] = None,
              joint_text: Annotated[str | None, typer.Option(help="The joint text it reads out")] = None,
              joint_version: Annotated[int | None, typer.Option(help="… and which version")] = None,
              source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
              outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
              source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
              url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Record what a party or principal said publicly or was reported to have said, attributed to who said it,
    with its source and how far it is confirmed."""
    body: dict[str, Any] = {"type": kind, "text": _one_text(text, text_file, required=True), "language": language}
    for name, value in (("speaker", speaker), ("on_behalf", on_behalf), ("said_on", said_on), ("meeting", meeting),
                        ("point", point), ("joint_text", joint_text), ("joint_version", joint_version)):
        if value is not None:
            body[name] = value
    _with_source(body, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    _receipt(_call(url, token, "POST", f"/api/talks/processes/{_q(process)}/statements", body))


# -- joint texts ----------------------------------------------------------------------------------------------

BodyFile = Annotated[Path, typer.Option("--body-file", help="The text, from a UTF-8 file (sent exactly)")]
PointsOpt = Annotated[list[str] | None, typer.Option("--point", help="A point the text covers; repeatable")]
Language = Annotated[str, typer.Option(help="uk, ru, en or other")]


@text_app.command("add")
def text_add(process: str, title: str, body_file: BodyFile, language: Language = "en", point: PointsOpt = None,
             note: NoteOpt = "", text_id: IdOpt = None, audience: AudienceOpt = None, url: Url = DEFAULT_URL,
             token: Token = "") -> None:
    """Write the first version of a joint text in a process; prints its id and SHA-256."""
    content = _read(body_file)
    body: dict[str, Any] = {"title": title, "body": content, "language": language, "points": point or [],
                            "note": note}
    if text_id:
        body["id"] = text_id
    if audience:
        body["audience"] = _audience(audience)
    r = _call(url, token, "POST", f"/api/talks/processes/{_q(process)}/texts", body)
    _receipt(r, f"text {r['id']} version 1")
    out.print(f"SHA-256 {sha256(content)}", highlight=False)


@text_app.command("revise")
def text_revise(text: str, body_file: BodyFile,
                supersedes: Annotated[int | None, typer.Option(
                    help="The version this replaces (default: the current one; give it to be refused if someone "
                         "revised the text since you read it)")] = None,
                title: Annotated[str | None, typer.Option(help="A new title (default: the current one)")] = None,
                language: Language = "en", point: PointsOpt = None, note: NoteOpt = "",
                url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Write a new version of a joint text. Every party must sign the new version afresh."""
    t = _call(url, token, "GET", f"/api/talks/texts/{_q(text)}")
    content = _read(body_file)
    current = t["versions"][-1] if t["versions"] else {}
    body: dict[str, Any] = {"id": t["id"], "title": title or t["title"], "body": content, "language": language,
                            "points": point if point is not None else current.get("points", []),
                            "supersedes": supersedes or t["version"], "note": note}
    r = _call(url, token, "POST", f"/api/talks/processes/{_q(t['process'])}/texts", body)
    _receipt(r, f"text {t['id']} version {body['supersedes'] + 1}")
    out.print(f"SHA-256 {sha256(content)}", highlight=False)
    out.print("every party must sign this version afresh", markup=False)


def _pieces(pieces: list[dict[str, str]]) -> Text:
    """A word diff: removed words struck through in red, added ones in green; without colour (a pipe, a file),
    marked ``[-removed-]`` and ``{+added+}`` as git's word diff marks them."""
    shown = Text()
    plain = out.color_system is None
    for p in pieces:
        if p["op"] == "same":
            shown.append(p["text"])
        elif p["op"] == "added":
            shown.append(f"{{+{p['text']}+}}" if plain else p["text"], style="" if plain else "bold green underline")
        else:
            shown.append(f"[-{p['text']}-]" if plain else p["text"], style="" if plain else "red strike")
    return shown


@text_app.command("show")
def text_show(text: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """A joint text: its versions, every sign-off, and for each party whether it signed the current version and
    what changed since the version it last signed."""
    t = _call(url, token, "GET", f"/api/talks/texts/{_q(text)}")
    if as_json:
        out.print_json(data=t)
        return
    state = ("[green]agreed[/green]: every party signed the current version" if t["agreed"]
             else "not agreed" + (f" (version {t['agreed_version']} was)" if t["agreed_version"] else ""))
    out.print(f"[bold]{escape(t['title'])}[/bold] ({t['id']} of {t['process']}), version {t['version']}: {state}")
    out.print(f"SHA-256 {t['sha256']}", highlight=False)
    v = Table(Column("version", no_wrap=True), Column("SHA-256", no_wrap=True), Column("at (UTC)", overflow="fold"),
              Column("by", no_wrap=True), Column("note", overflow="fold"), title="versions")
    for x in t["versions"]:
        v.add_row(str(x["version"]), _short(x["sha256"]), x["at"], x["by"], x["note"])
    out.print(v)
    if t["signoffs"]:
        s = Table(Column("party", no_wrap=True), Column("version", no_wrap=True), Column("SHA-256", no_wrap=True),
                  Column("by", no_wrap=True), Column("at (UTC)", overflow="fold"), title="sign-offs")
        for x in t["signoffs"]:
            s.add_row(x["party"], str(x["version"]), _short(x["sha256"]), x["by"], x["at"])
        out.print(s)
    for p in t["panel"]:
        if p["signed_current"]:
            out.print(f"{p['party']}: signed version {t['version']}", markup=False)
        elif p["last_signed_version"] is None:
            out.print(f"{p['party']}: has not signed", markup=False)
        else:
            out.print(f"{p['party']}: last signed version {p['last_signed_version']}; changed since:", markup=False)
            out.print(_pieces(p["changed_since"] or []))


@text_app.command("read")
def text_read(text: str, version: Annotated[int | None, typer.Option(help="This version (default: current)")] = None,
              out_file: Annotated[Path | None, typer.Option("--out", help="Write it to this file")] = None,
              url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A version's text exactly as signed (on standard output, or byte for byte into --out); its SHA-256, checked
    against the text received, on standard error."""
    if version is None:
        version = int(_call(url, token, "GET", f"/api/talks/texts/{_q(text)}")["version"])
    v = _version(url, token, text, version)
    if out_file is None:
        typer.echo(v["body"], nl=False)  # exactly: `parley talks text read T | sha256sum` gives its hash
    else:
        try:
            out_file.write_bytes(v["body"].encode("utf-8"))
        except OSError as exc:
            raise _fail(f"{out_file}: {exc}") from None
    console.print(f"version {version} of {text}: SHA-256 {v['sha256']}", highlight=False)


def _version(url: str, token: str, text: str, version: int) -> dict[str, Any]:
    """A version with its body; the hash the server states is checked against the body it served."""
    v: dict[str, Any] = _call(url, token, "GET", f"/api/talks/texts/{_q(text)}/versions/{version}")
    if sha256(v["body"]) != v["sha256"]:
        console.print(f"the server states SHA-256 {v['sha256']} for version {version} of {text}, but the text it "
                      f"served hashes to {sha256(v['body'])}: nothing signed", style="red", markup=False)
        raise typer.Exit(1)
    return v


@app.command("diff")
def diff(text: str, from_version: Annotated[int, typer.Argument(metavar="FROM")],
         to_version: Annotated[int, typer.Argument(metavar="TO")], url: Url = DEFAULT_URL, token: Token = "",
         as_json: AsJson = False) -> None:
    """The word-level difference between two versions of a joint text (any script): removed words struck through
    in red, added ones in green ([-…-] and {+…+} without colour)."""
    query = urlencode({"from": from_version, "to": to_version})
    d = _call(url, token, "GET", f"/api/talks/texts/{_q(text)}/diff?{query}")
    if as_json:
        out.print_json(data=d)
        return
    out.print(f"{text}: version {from_version} → {to_version}: {d['added_words']} words added, "
              f"{d['removed_words']} removed", markup=False)
    out.print(_pieces(d["pieces"]))


@app.command("sign")
def sign(text: str,
         version: Annotated[int | None, typer.Option(help="The version you read (default: the current one)")] = None,
         sha: Annotated[str | None, typer.Option(
             "--sha256", help="The SHA-256 of the text you read (default: the version's, checked against its text)")]
         = None,
         meeting: Annotated[str | None, typer.Option(help="The meeting where it was signed")] = None,
         note: NoteOpt = "", url: Url = DEFAULT_URL, token: Token = "") -> None:
    """Sign a version of a joint text for your party: a record over its exact SHA-256. By default the current
    version, its hash computed here from the text the server serves; with --version and --sha256, what you read
    (refused, and nothing signed, when it is no longer the current version). Prints the hash signed."""
    if version is None:
        version = int(_call(url, token, "GET", f"/api/talks/texts/{_q(text)}")["version"])
    if sha is None:
        sha = _version(url, token, text, version)["sha256"]
    elif len(sha) != 64:
        raise _fail("--sha256 takes the whole SHA-256 (64 hex digits) of the text you read")
    out.print(f"signing version {version} of {text}, SHA-256 {sha.lower()}", highlight=False)
    body: dict[str, Any] = {"version": version, "sha256": sha.lower(), "note": note}
    if meeting:
        body["meeting"] = meeting
    _receipt(_call(url, token, "POST", f"/api/talks/texts/{_q(text)}/signoffs", body))
    t = _call(url, token, "GET", f"/api/talks/texts/{_q(text)}")
    if t["agreed"]:
        out.print(f"{text} is agreed: every party signed version {t['version']}", style="green", markup=False)
    else:
        waiting = [p["party"] for p in t["panel"] if not p["signed_current"]]
        out.print(f"waiting for {', '.join(waiting)} to sign version {t['version']}", markup=False)


# -- implementation -------------------------------------------------------------------------------------------

LEVELS = {0: "not started", 1: "minimal", 2: "intermediate", 3: "complete"}


def _evidence(items: list[str] | None) -> list[dict[str, str]]:
    found = []
    for item in items or []:
        kind, _, rest = item.partition(":")
        ref, _, note = rest.partition(":")
        if not kind or not ref:
            raise _fail(f"{item!r}: write KIND:REF[:NOTE] (operation:ID, exchange:ID or record:INDEX)")
        found.append({"kind": kind, "ref": ref, "note": note})
    return found


@app.command("implement")
def implement(point: str,
              level: Annotated[int, typer.Argument(help="0 not started, 1 minimal, 2 intermediate, 3 complete")],
              evidence: Annotated[list[str] | None, typer.Option(
                  help="KIND:REF[:NOTE]: operation:ID, exchange:ID or record:INDEX that you may read; "
                       "repeatable")] = None,
              as_of: Annotated[str | None, typer.Option(help="As of, YYYY-MM-DD")] = None,
              note: NoteOpt = "",
              source: SourceKind = None, source_speaker: SourceSpeaker = None, source_body: SourceBody = None,
              outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
              source_url: SourceUrl = None, quote_: Quote = None, confirmation: Confirmation = None,
              url: Url = DEFAULT_URL, token: Token = "") -> None:
    """State how far an agreed point is implemented, by your party's assessment (Peace Accords Matrix 0–3), with
    the evidence; each party's assessment is kept side by side."""
    body: dict[str, Any] = {"level": level, "evidence": _evidence(evidence), "note": note}
    if as_of:
        body["as_of"] = as_of
    _with_source(body, source, source_speaker, source_body, outlet, stated_on, reference, source_url, quote_,
                 confirmation)
    _receipt(_call(url, token, "POST", f"/api/talks/points/{_q(point)}/implementation", body))


def _level(a: dict[str, Any] | None) -> str:
    return "—" if a is None else f"{a['level']} {LEVELS.get(a['level'], '')}"


def _evidence_text(a: dict[str, Any]) -> str:
    return ", ".join(f"{e['kind']}:{e['ref']}" + (f" ({e['note']})" if e.get("note") else "") for e in a["evidence"])


def _print_assessments(assessments: list[dict[str, Any]]) -> None:
    for a in assessments:
        as_of = f", as of {a['as_of']}" if a["as_of"] else ""
        out.print(f"#{a['record']} {a['party']}: implementation {_level(a)}{as_of} ({a['by']})", markup=False)
        for line in (f"evidence: {_evidence_text(a)}" if a["evidence"] else "", a["note"],
                     f"source: {_said_by(a['source'])}" if a["source"] else ""):
            if line:
                out.print(f"  {line}", markup=False)


@app.command("implementation")
def implementation(process: str, url: Url = DEFAULT_URL, token: Token = "", as_json: AsJson = False) -> None:
    """The implementation board: every agreed point, each party's (and mediator's) latest assessment 0–3 side by
    side, with its evidence."""
    data = _call(url, token, "GET", f"/api/talks/processes/{_q(process)}/implementation")
    if as_json:
        out.print_json(data=data)
        return
    if not data["points"]:
        out.print("no agreed points")
        return
    assessors = data["assessors"]
    longest = max(len(r["point"]) for r in data["points"])
    if _fits([longest, *(len("2 intermediate") for _ in assessors)], 1):
        t = Table(Column("point", no_wrap=True), Column("title", overflow="fold"),
                  *(Column(a, no_wrap=True) for a in assessors))
        for r in data["points"]:
            t.add_row(r["point"], r["title"], *(_level(r["levels"][a]) for a in assessors))
        out.print(t)
    else:
        for r in data["points"]:
            out.print(f"[bold]{r['point']}[/bold]")
            out.print(f"  {r['title']} ({r['track']})", markup=False)
            for a in assessors:
                out.print(f"  {a}: {_level(r['levels'][a])}", markup=False)
    for r in data["points"]:
        for a in assessors:
            x = r["levels"][a]
            if x is not None and x["evidence"]:
                out.print(f"{r['point']}, {a}: {_evidence_text(x)}", markup=False)


# -- export ---------------------------------------------------------------------------------------------------

@app.command("export")
def export(process: str,
           fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
           out_file: Annotated[Path | None, typer.Option(
               "--out", help="Write to this file (default: standard output)")] = None,
           url: Url = DEFAULT_URL, token: Token = "") -> None:
    """A process's points and their implementation, coded after PA-X (agreement, stage, provision, status), with
    each party's latest level 0–3 and its evidence, as CSV or JSON."""
    if fmt not in ("csv", "json"):
        raise _fail("--format is csv or json")
    data = _fetch(url, token, f"/api/talks/processes/{_q(process)}/export.{fmt}")
    if fmt == "json":
        rows = len(json.loads(data)["rows"])
    else:
        rows = max(0, sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8")))) - 1)
    if out_file is None:
        typer.echo(data.decode("utf-8"), nl=False)
        return
    try:
        out_file.write_bytes(data)
    except OSError as exc:
        raise _fail(f"{out_file}: {exc}") from None
    console.print(f"wrote {rows} provisions of {process} to {out_file}", markup=False, highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="talks")
