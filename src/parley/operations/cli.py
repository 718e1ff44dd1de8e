"""``parley ops``, ``parley zone``, ``parley incident`` and ``parley channel``: operations from the
command line, through the server's HTTP API with your API token (the server signs with the key it
holds for you). To sign with your own key instead, write the same payloads with ``parley record submit``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

# Shared with every client command (``parley.client``); the short names are this module's own.
from parley.client import AsJson, Token, Url
from parley.client import call as _call
from parley.client import load_json as _load
from parley.client import receipt as _receipt

app = typer.Typer(help="Humanitarian operations: propose, answer, run and report.", no_args_is_help=True)
zone_app = typer.Typer(help="Zones: active hostilities, mined areas, no-go areas.", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents and ceasefire violations.", no_args_is_help=True)
channel_app = typer.Typer(help="The liaison channel of an operation.", no_args_is_help=True)
console = Console(stderr=True)
out = Console()


@app.command("list")
def list_ops(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False,
             status: Annotated[str | None, typer.Option(help="Only this status")] = None) -> None:
    """The operations you may read."""
    data = _call(url, token, "GET", "/api/operations" + (f"?status={status}" if status else ""))
    if as_json:
        out.print_json(data=data)
        return
    # Ids are never wrapped or cut (the next command needs them whole); long text folds, never ellipsized.
    t = Table(Column("id", no_wrap=True), Column("title", overflow="fold"), Column("status", overflow="fold"),
              Column("window (UTC)", overflow="fold"), Column("answers", overflow="fold"))
    for o in data["operations"]:
        ok = sum(1 for b in o["board"] if b["state"] in ("acknowledged", "proposer"))
        t.add_row(o["id"], o["title"], o["status"], f"{o['window']['start']} → {o['window']['end']}",
                  f"{ok}/{len(o['board'])}")
    out.print(t)


@app.command("show")
def show(op_id: str, url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """An operation: its board, timeline, outcomes by party and conflicts."""
    o = _call(url, token, "GET", f"/api/operations/{op_id}")
    if as_json:
        out.print_json(data=o)
        return
    out.print(f"[bold]{escape(o['title'])}[/bold] ({o['id']}, version {o['version']}): {o['status']}")
    out.print(f"window {o['window']['start']} → {o['window']['end']} UTC, time zone {o['time_zone']}; "
              f"answers due by {o['answer_by']}")
    out.print("Acknowledgement is not permission; silence is not consent.")
    b = Table(Column("party", no_wrap=True), Column("answer", overflow="fold"), Column("reason", overflow="fold"),
              Column("at", overflow="fold"))
    for row in o["board"]:
        state = row["state"] + (" (late)" if row["late"] else "")
        if row["state"] == "awaiting":
            state += f", {row['seconds_left'] // 3600} h {row['seconds_left'] % 3600 // 60} min left"
        b.add_row(row["party"], state, row["reason"], row["at"] or "")
    out.print(b)
    tl = Table(Column("at (UTC)", overflow="fold"), Column("event", overflow="fold"), Column("place", overflow="fold"),
               Column("note", overflow="fold"), Column("by", no_wrap=True))
    for e in o["timeline"]:
        tl.add_row(e["at"], e["event"], e["place"], e["note"], e["by"])
    out.print(tl)
    _print_outcomes(o["outcomes"])
    for c in o["conflicts"]["conflicts"]:
        out.print(f"[yellow]conflict with {c['kind']} {c['id']} ({c['what']}, {c['party']}): "
                  f"{c['overlap_km2']} km² overlap, {escape(c['name'])}[/yellow]")
    for v in o["versions"]:
        if v.get("unseen_conflict"):
            out.print(f"[yellow]version {v['version']} meets a zone or an operation you cannot see; "
                      "the mediator has been told[/yellow]")
    for a in o.get("alerts", []):
        _print_alert(a)


def _figure(f: dict[str, Any] | None) -> str:
    return "—" if f is None else str(f["text"])


def _source(src: dict[str, Any] | None) -> str:
    if not src:
        return "its own statement"
    who = ", ".join(x for x in (src.get("speaker"), src.get("body"), src.get("outlet")) if x)
    return "; ".join(x for x in (src["kind"].replace("_", " "), who, src.get("stated_on") or "",
                                 src.get("reference", ""), src.get("confirmation", "")) if x)


def _print_outcomes(oc: dict[str, Any]) -> None:
    """Every statement of figures as its own column (several from one party side by side), each figure as
    stated; the statements' sources listed under the table."""
    sts = oc["statements"]
    if not sts:
        return
    t = Table(Column("category", overflow="fold"), Column("destination", overflow="fold"),
              *(Column(f"{st['party']} #{st['record']}", no_wrap=True) for st in sts), Column("differ", no_wrap=True))
    for r in oc["rows"]:
        dest = "(every destination)" if r["destination"] is None else (r["destination"] or "(not stated)")
        t.add_row(r["category"], dest, *[_figure(f) for f in r["figures"]], "yes" if r["differ"] else "")
    t.add_row("total as stated", "", *[_figure(st["total"]) for st in sts], "yes" if oc["totals_differ"] else "")
    t.add_row("sum of the rows", "", *[_figure(st["rows_sum"]) for st in sts], "")
    out.print(t)
    for st in sts:
        out.print(f"#{st['record']} {st['party']} ({st['by']}, {st['at']}): {_source(st['source'])}"
                  + (f"; {st['note']}" if st["note"] else ""), markup=False)


@app.command("check")
def check(plan: Annotated[Path, typer.Argument(help="The plan, as JSON")], url: Url = "http://127.0.0.1:8000",
          token: Token = "") -> None:
    """Deconflict a plan against the zones and other operations you may read, before proposing it. Checks are
    recorded and limited per hour; zones and operations you may not read are not shown (a proposal that meets
    one tells you so, and the mediator is told)."""
    r = _call(url, token, "POST", "/api/deconfliction/check", {"plan": _load(plan)})
    if not r["conflicts"]:
        out.print("no conflicts with the zones and operations you may read, valid during the window")
    for c in r["conflicts"]:
        out.print(f"conflict with {c['kind']} {c['id']} ({c['what']}, declared by {c['party']}): "
                  f"{c['overlap_km2']} km² overlap, {c['start']} → {c['end']}: {c['name']}", markup=False)
    raise typer.Exit(1 if r["conflicts"] else 0)


def _unseen(r: dict[str, Any]) -> None:
    if r.get("unseen_conflict"):
        out.print(r.get("notice") or "The plan meets a zone or an operation you cannot see; the mediator has been "
                  "told.", style="yellow", markup=False)


def _print_alert(a: dict[str, Any]) -> None:
    what = (f"operation {a['operation']} (version {a['version']}, proposed by {a['party']})" if a.get("operation")
            else "a proposal you may not read")
    target = f"{a['target_kind']} {a['target']}" + (f" ({a['target_name']})" if a.get("target_name") else "")
    out.print(f"{a['at']}: {what} meets {target} of {a['owner']}, which the proposer cannot see; mediator "
              f"{a['mediator']}", markup=False)


@app.command("alerts")
def alerts(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False,
           operation: Annotated[str | None, typer.Option(help="Only about this operation")] = None) -> None:
    """Proposals that met a zone or an operation their proposer may not read (for the owner and the mediators)."""
    data = _call(url, token, "GET", "/api/deconfliction/alerts" + (f"?operation={operation}" if operation else ""))
    if as_json:
        out.print_json(data=data)
        return
    if not data["alerts"]:
        out.print("no alerts")
    for a in data["alerts"]:
        _print_alert(a)


@app.command("propose")
def propose(plan: Annotated[Path, typer.Argument(help="The plan, as JSON")],
            op_id: Annotated[str | None, typer.Option(
                "--id", help="Operation id, starting with your party's slug and a dash (default: generated)")] = None,
            supersedes: Annotated[int | None, typer.Option(help="Revise: the version this replaces")] = None,
            url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Propose an operation, or a new version of one."""
    body: dict[str, Any] = {"plan": _load(plan)}
    if op_id:
        body["operation"] = op_id
    if supersedes:
        body["supersedes"] = supersedes
    r = _call(url, token, "POST", "/api/operations", body)
    _receipt(r, f"operation {r['operation']}")
    _unseen(r)


@app.command("answer")
def answer(op_id: str, version: Annotated[int, typer.Option(help="The version you answer")],
           acknowledge: Annotated[bool, typer.Option("--acknowledge",
                                                     help="Acknowledge receipt (not permission)")] = False,
           decline: Annotated[str | None, typer.Option(help="Decline, giving the reason")] = None,
           counter: Annotated[Path | None, typer.Option(help="Counter-propose this plan (JSON)")] = None,
           reason: str = "", url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Answer the current version: acknowledge, decline with a reason, or counter-propose."""
    chosen = [x for x in (acknowledge, decline is not None, counter is not None) if x]
    if len(chosen) != 1:
        console.print("[red]give exactly one of --acknowledge, --decline REASON, --counter PLAN.json[/red]")
        raise typer.Exit(2)
    body: dict[str, Any] = {"version": version, "reason": reason}
    if acknowledge:
        body["answer"] = "acknowledged"
    elif decline is not None:
        body.update(answer="declined", reason=decline)
    else:
        assert counter is not None
        body.update(answer="counter", plan=_load(counter))
    r = _call(url, token, "POST", f"/api/operations/{op_id}/answers", body)
    _receipt(r)
    _unseen(r)


@app.command("status")
def status(op_id: str, action: Annotated[str, typer.Argument(help="start, suspend, resume, complete or abort")],
           reason: str = "", url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Change an operation's status (the organising mediator)."""
    _receipt(_call(url, token, "POST", f"/api/operations/{op_id}/status", {"action": action, "reason": reason}))


@app.command("move")
def move(op_id: str, event: Annotated[str, typer.Argument(help="departed, checkpoint_passed, arrived, halted, other")],
         at: Annotated[str, typer.Option(help="When, e.g. 2026-05-01T10:00:00Z")],
         lon: float | None = None, lat: float | None = None, place: str = "", note: str = "",
         source: SourceKind = None, speaker: Speaker = None, body: BodyOpt = None, outlet: Outlet = None,
         stated_on: StatedOn = None, reference: Reference = None, source_url: SourceUrl = None,
         quote: Quote = None, confirmation: Confirmation = None,
         url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Report a movement of the convoy (with its source, when someone else reported it)."""
    payload: dict[str, Any] = {"event": event, "at": at, "place": place, "note": note}
    if lon is not None and lat is not None:
        payload["position"] = [lon, lat]
    src = _source_option(source, speaker=speaker, body=body, outlet=outlet, stated_on=stated_on,
                         reference=reference, url=source_url, quote=quote, confirmation=confirmation)
    if src is not None:
        payload["source"] = src
    _receipt(_call(url, token, "POST", f"/api/operations/{op_id}/movements", payload))


def _source_option(kind: str | None, **fields: str | None) -> dict[str, Any] | None:
    given = {k: v for k, v in fields.items() if v}
    if kind is None and not given:
        return None
    return {"kind": kind or "party_statement", **given}


SourceKind = Annotated[str | None, typer.Option(
    "--source", help="party_statement, named_official, mediator, document, media_citing_officials, "
                     "anonymous_officials or media_report")]
Speaker = Annotated[str | None, typer.Option(help="Who said it (a named official)")]
BodyOpt = Annotated[str | None, typer.Option("--body", help="The body the speaker speaks for")]
Outlet = Annotated[str | None, typer.Option(help="Who published it (a media report)")]
StatedOn = Annotated[str | None, typer.Option(help="When it was said, YYYY-MM-DD")]
Reference = Annotated[str | None, typer.Option(help="A document's or report's reference")]
SourceUrl = Annotated[str | None, typer.Option("--source-url", help="Where it was published")]
Quote = Annotated[str | None, typer.Option(help="The words as published")]
Confirmation = Annotated[str | None, typer.Option(help="confirmed, unconfirmed, preliminary or disputed")]


def _figure_arg(text: str) -> dict[str, Any]:
    from pydantic import ValidationError

    from parley.records.figures import parse

    try:
        return parse(text).model_dump(exclude_none=True)
    except ValidationError as exc:
        why = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    except ValueError as exc:
        why = str(exc)
    console.print(f"[red]{escape(why)}[/red]")
    raise typer.Exit(2)


@app.command("outcome")
def outcome(op_id: str, moved: Annotated[list[str] | None, typer.Option(
        help="category:destination:figure, repeatable; the figure as stated: 264, >250 (more than), >=250, <5, "
             "<=5, ~2600 (about), 50-60 or hundreds; an empty destination when none was stated (categories: "
             "seriously_wounded, wounded, servicemen, children, elderly, women, other_civilians, civilians)")] = None,
            total: Annotated[str | None, typer.Option(help="The total as stated (same forms)")] = None,
            note: str = "", source: SourceKind = None, speaker: Speaker = None, body: BodyOpt = None,
            outlet: Outlet = None, stated_on: StatedOn = None, reference: Reference = None,
            source_url: SourceUrl = None, quote: Quote = None, confirmation: Confirmation = None,
            url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Report figures of persons moved, each as its source stated it, with the source."""
    rows = []
    for m in moved or []:
        parts = m.split(":")
        if len(parts) != 3:
            console.print(f"[red]{escape(repr(m))}: write category:destination:figure[/red]")
            raise typer.Exit(2)
        fig = _figure_arg(parts[2])
        row: dict[str, Any] = {"category": parts[0], "destination": parts[1]}
        row["count"] = fig["value"] if fig["form"] == "exact" else fig
        rows.append(row)
    payload: dict[str, Any] = {"moved": rows, "note": note}
    if total is not None:
        payload["total"] = _figure_arg(total)
    src = _source_option(source, speaker=speaker, body=body, outlet=outlet, stated_on=stated_on,
                         reference=reference, url=source_url, quote=quote, confirmation=confirmation)
    if src is not None:
        payload["source"] = src
    _receipt(_call(url, token, "POST", f"/api/operations/{op_id}/outcomes", payload))


@app.command("waive")
def waive(op_id: str, notice_hours: Annotated[float, typer.Option(help="The least notice your party accepts")],
          agreed: Annotated[str, typer.Option(help="Where, when and by whom the emergency was agreed")],
          audience: Annotated[str | None, typer.Option(
              help="Who reads it, comma-separated (party:icrc,party:ru,party:ua); the operation's readers once "
                   "it is proposed")] = None,
          source: SourceKind = None, speaker: Speaker = None, body: BodyOpt = None, outlet: Outlet = None,
          stated_on: StatedOn = None, reference: Reference = None, source_url: SourceUrl = None, quote: Quote = None,
          url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Waive the notice period for an operation your party is concerned by: an emergency agreed at a meeting.
    A proposal giving less notice than the rules ask stands once every party concerned has waived it."""
    payload: dict[str, Any] = {"notice_hours": notice_hours, "agreed": agreed}
    src = _source_option(source, speaker=speaker, body=body, outlet=outlet, stated_on=stated_on,
                         reference=reference, url=source_url, quote=quote)
    if src is not None:
        payload["source"] = src
    if audience:
        payload["audience"] = [a.strip() for a in audience.split(",") if a.strip()]
    _receipt(_call(url, token, "POST", f"/api/operations/{op_id}/waivers", payload))


@app.command("declare-corridor")
def declare_corridor(corridor: Annotated[Path, typer.Argument(help="The corridor, as JSON")],
                     audience: Annotated[str | None, typer.Option(
                         help="Who reads it, comma-separated (default: all)")] = None,
                     url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Declare, for your (belligerent) party alone, a corridor it opens on its own: not a proposal to anyone,
    and shown apart from agreed operations."""
    body: dict[str, Any] = {"corridor": _load(corridor)}
    if audience:
        body["audience"] = [a.strip() for a in audience.split(",") if a.strip()]
    r = _call(url, token, "POST", "/api/corridors", body)
    _receipt(r, f"corridor {r['corridor']}")


@app.command("corridors")
def corridors(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """Corridors one side declared on its own: not proposed, not acknowledged, not agreed by anyone else."""
    data = _call(url, token, "GET", "/api/corridors")
    if as_json:
        out.print_json(data=data)
        return
    t = Table(Column("id", no_wrap=True), Column("name", overflow="fold"), Column("declared by", no_wrap=True),
              Column("from → towards", overflow="fold"), Column("source", overflow="fold"))
    for c in data["corridors"]:
        t.add_row(c["id"], c["name"], c["party"], f"{c['origin']['name']} → {c['towards']['name']}",
                  _source(c["source"]))
    out.print(t)
    out.print("Declared by one side: nobody else agreed to these corridors.")


@app.command("rules")
def set_rules(notice_hours: Annotated[int | None, typer.Option(help="Ordinary notice period")] = None,
              emergency_notice_hours: int | None = None, answer_hours: int | None = None,
              emergency_answer_hours: int | None = None, urgent_read_minutes: int | None = None,
              region: Annotated[str | None, typer.Option(help="Area of operations: west,south,east,north")] = None,
              route_tolerance_m: Annotated[int | None, typer.Option(
                  help="How far (m) from an operation's route its places, movements and incidents may lie")] = None,
              url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Show the notice and answer periods; with options, set them (an admin of a mediator party)."""
    current = _call(url, token, "GET", "/api/operations-rules")
    given = {"notice_hours": notice_hours, "emergency_notice_hours": emergency_notice_hours,
             "answer_hours": answer_hours, "emergency_answer_hours": emergency_answer_hours,
             "urgent_read_minutes": urgent_read_minutes, "route_tolerance_m": route_tolerance_m}
    if all(v is None for v in given.values()) and region is None:
        out.print_json(data=current)
        return
    body = {**current, **{k: v for k, v in given.items() if v is not None}}
    if region is not None:
        try:
            body["region"] = [float(x) for x in region.split(",")]
        except ValueError:
            console.print("[red]--region is west,south,east,north in degrees[/red]")
            raise typer.Exit(2) from None
    _receipt(_call(url, token, "POST", "/api/operations-rules", body))


@app.command("escalations")
def escalations(url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """What the mediator must chase: silence past a deadline, urgent messages left unread."""
    data = _call(url, token, "GET", "/api/escalations")["escalations"]
    if not data:
        out.print("nothing to escalate")
    for e in data:
        what = {"no_answer": "no answer", "unseen_conflict": "the current version meets a zone or an operation of "
                "this party that the proposer cannot see"}.get(e["kind"], f"urgent message {e['message']} unread")
        where = e["operation"] or f"channel {e['channel']}"
        out.print(f"{where} ({e['title']}): {e['party']}: {what} since {e['since']}", markup=False)


@zone_app.command("declare")
def zone_declare(zone: Annotated[Path, typer.Argument(help="The zone, as JSON")],
                 audience: Annotated[str, typer.Option(help="Comma-separated audience tokens")] = "all",
                 url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Declare a zone (active hostilities, mined, no-go) with its validity window."""
    r = _call(url, token, "POST", "/api/zones", {"zone": _load(zone), "audience": audience.split(",")})
    _receipt(r, f"zone {r['zone']}")


@zone_app.command("list")
def zone_list(url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    t = Table(Column("id", no_wrap=True), Column("kind", overflow="fold"), Column("name", overflow="fold"),
              Column("valid (UTC)", overflow="fold"), Column("party", no_wrap=True))
    for z in _call(url, token, "GET", "/api/zones")["zones"]:
        t.add_row(z["id"], z["kind"], z["name"], f"{z['valid_from']} → {z['valid_until']}", z["party"])
    out.print(t)


@incident_app.command("report")
def incident_report(incident: Annotated[Path, typer.Argument(help="The incident, as JSON")],
                    audience: Annotated[str | None, typer.Option(help="Audience (default: the operation's)")] = None,
                    url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Report an incident or a ceasefire violation, or your party's account of one already reported."""
    body: dict[str, Any] = {"incident": _load(incident)}
    if audience:
        body["audience"] = audience.split(",")
    r = _call(url, token, "POST", "/api/incidents", body)
    _receipt(r, f"incident {r['incident']}")


@channel_app.command("post")
def channel_post(op_id: str, text: str, urgent: bool = False, url: Url = "http://127.0.0.1:8000",
                 token: Token = "") -> None:
    _receipt(_call(url, token, "POST", f"/api/operations/{op_id}/channel", {"text": text, "urgent": urgent}))


@channel_app.command("show")
def channel_show(op_id: str, read: Annotated[bool, typer.Option(help="Send read receipts for what is shown")] = False,
                 url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """The channel's messages with their receipts."""
    msgs = _call(url, token, "GET", f"/api/operations/{op_id}/channel")["messages"]
    for m in msgs:
        flags = (" [red]URGENT[/red]" if m["urgent"] else "") + (" [red]overdue[/red]" if m["overdue"] else "")
        receipts = ", ".join(f"{p}: {'read' if 'read' in r else 'delivered'}" for p, r in m["receipts"].items())
        out.print(f"#{m['record']} {m['at']} {m['by']}{flags}: {escape(m['text'])}  ({receipts or 'no receipts'})")
        if read:
            try:
                _call(url, token, "POST", f"/api/operations/{op_id}/channel/{m['record']}/receipts", {"state": "read"})
            except typer.Exit:
                pass  # not a recipient, or already read


@channel_app.command("open")
def channel_open(title: str,
                 parties: Annotated[str, typer.Option(help="The parties, comma-separated: ua,ru")],
                 members: Annotated[str, typer.Option(help="Designated members: ua/liaison,ru/liaison")],
                 mediator: Annotated[str | None, typer.Option(help="Where unread urgent messages escalate")] = None,
                 process: Annotated[str | None, typer.Option(help="The talks process it belongs to")] = None,
                 point: Annotated[str | None, typer.Option(help="The talks point it belongs to")] = None,
                 urgent_minutes: Annotated[int | None, typer.Option(help="Minutes to read an urgent message")] = None,
                 note: str = "", audience: Annotated[str | None, typer.Option(help="Comma-separated audience")] = None,
                 url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Open a standing channel between designated members of two or more parties (not tied to one operation)."""
    channel: dict[str, object] = {"title": title, "parties": _split(parties), "members": _split(members), "note": note}
    for name, value in (("mediator", mediator), ("process", process), ("point", point),
                        ("urgent_read_minutes", urgent_minutes)):
        if value is not None:
            channel[name] = value
    body: dict[str, object] = {"channel": channel}
    if audience:
        body["audience"] = _split(audience)
    got = _call(url, token, "POST", "/api/channels", body)
    out.print(f"channel {got['channel']}", markup=False)
    _receipt(got)


@channel_app.command("standing")
def channel_standing(url: Url = "http://127.0.0.1:8000", token: Token = "", as_json: AsJson = False) -> None:
    """The standing channels you may read."""
    data = _call(url, token, "GET", "/api/channels")
    if as_json:
        out.print_json(data=data)
        return
    if not data["channels"]:
        out.print("no standing channel")
    for c in data["channels"]:
        about = f" (talks {c['process']})" if c["process"] else ""
        out.print(f"{c['id']}: {c['title']}{about} — {', '.join(c['members'])}; mediator {c['mediator'] or '-'}",
                  markup=False)


@channel_app.command("say")
def channel_say(channel: str, text: str, urgent: bool = False, url: Url = "http://127.0.0.1:8000",
                token: Token = "") -> None:
    """Post to a standing channel (you must be one of its designated members or its mediator)."""
    _receipt(_call(url, token, "POST", f"/api/channels/{channel}/messages", {"text": text, "urgent": urgent}))


@channel_app.command("read")
def channel_read(channel: str, mark: Annotated[bool, typer.Option(help="Send read receipts for what is shown")] = False,
                 url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """A standing channel's messages with their receipts (fetching it delivers them to a designated member)."""
    msgs = _call(url, token, "GET", f"/api/channels/{channel}")["messages"]
    for m in msgs:
        flags = (" [red]URGENT[/red]" if m["urgent"] else "") + (" [red]overdue[/red]" if m["overdue"] else "")
        receipts = ", ".join(f"{p}: {'read' if 'read' in r else 'delivered'}" for p, r in m["receipts"].items())
        out.print(f"#{m['record']} {m['at']} {m['by']}{flags}: {escape(m['text'])}  ({receipts or 'no receipts'})")
        if mark:
            try:
                _call(url, token, "POST", f"/api/channels/{channel}/messages/{m['record']}/receipts", {"state": "read"})
            except typer.Exit:
                pass  # not addressed to the reader's party, or not a designated member


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ops")
    root.add_typer(zone_app, name="zone")
    root.add_typer(incident_app, name="incident")
    root.add_typer(channel_app, name="channel")
