"""The read matrix: every demo member, and anyone without credentials, against every read route of the
API and the web interface, each answer checked against the one read policy (``parley.records.policy``).

The demo is loaded once, with records added at the narrowest audiences (a Russia-only person, inquiry,
list and note; a Ukraine-only zone, operation, channel message and incident; a note for Ukraine's
registrars only). Then, generated from the policy:

- every string a record's payload states (eight characters or more, not a bare date or an enumerated
  word) may appear in an answer only to members the policy lets read it in some record: a name, a
  family's contact, a zone's note or a channel message showing up anywhere else fails the test;
- the log's listings, record pages and entry bundles show exactly the records the policy allows;
- the registry, operations, zones, inquiries and lists show exactly the rows the policy allows, the
  family's contact only to registrars;
- every GET route the application serves is walked, or named below as public with its reason, so a
  new route cannot escape the matrix.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from parley.assembly import kinds
from parley.auth import Principal, load_principal
from parley.exchanges.models import Exchange
from parley.press.models import Statement
from parley.log.models import LogEntry
from parley.records import sealing
from parley.operations.models import Operation, StandingChannel, Zone
from parley.parties.models import Member, Party
from parley.people.models import AccessRequest, Inquiry, Person, PersonList
from parley.records.policy import ReadPolicy, may_read_bundles
from parley.talks.models import TalksActor, TalksMeeting, TalksPoint, TalksProcess, TalksText, TalksTrack
from tests.conftest import Demo, database, load_demo_into, make_runtime

# The one read policy over every kind the log accepts: what the server applies (``Runtime.policy``).
policy = ReadPolicy(kinds())
ANONYMOUS = "anonymous"
# GET routes anyone may open without signing in, and why they carry no record content.
PUBLIC = {
    "/signin": "the sign-in form",
    "/family": "a family's own inquiry, opened with its reference and secret (POST)",
    "/family/new": "the public form on which a family files an inquiry",
    "/api/family/parties": "which parties take inquiries from families directly (party slugs)",
    # What a party released: only the records its kinds declare public once released (``Kind.public``).
    "/api/public/statements": "the released statements",
    r"/api/public/statements/[^/]+": "a released statement's records with their proofs (404 for any other)",
    "/api/public/feed.atom": "the released statements as an Atom feed",
    "/api/public/figures": "the figures parties released of completed exchanges (exchange.release is public)",
    "/api/public/figures.csv": "the same figures as CSV",
    r"/api/public/records/[^/]+": "a public record (Kind.public) with its proof (404 for any other)",
    "/api/public/checkpoint": "the newest published checkpoint: the log's size and root",
    "/api/public/consistency": "a consistency proof between two sizes up to the published one",
    r"/public/charts/[^/]+": "the public figures' charts (SVG, PNG)",
    "/public": "the released statements' page",
    r"/public/statements/[^/]+": "a released statement's page (404 for any other)",
}
# Records added at the narrowest audiences; every name and text in them is invented.
SECRETS = {
    "person_ru": "ru-matrix-person",
    "op_ua": "icrc-matrix-op",
    "zone_ua": "ua-matrix-zone",
    "access_ru": "icrc-matrix-access",
    "process_ua_ru": "ua-matrix-back-channel",
}


@dataclass
class World:
    client: Any
    runtime: Any
    demo: Demo
    principals: dict[str, Principal] = field(default_factory=dict)
    # payload string -> members the policy lets read it somewhere
    values: dict[str, set[str]] = field(default_factory=dict)
    # The payload strings by their first word and their length in words: the word sequence each is, and the strings.
    words: dict[str, dict[int, dict[tuple[str, ...], list[str]]]] = field(default_factory=dict)

    cache: dict[tuple[str, str], Any] = field(default_factory=dict)
    # What ``_found`` found in each distinct answer, by its content type and body.
    found: dict[tuple[str, bytes], list[tuple[int, int, str]]] = field(default_factory=dict)

    def headers(self, who: str, page: bool = False) -> dict[str, str]:
        h = {} if who == ANONYMOUS else dict(self.demo.headers(who))
        if page:
            h["Accept"] = "text/html"
        return h

    def get(self, who: str, url: str) -> Any:
        """One answer per member and address, kept: the walk and the listings' checks share them."""
        path = url.split("?")[0]
        page = not (url.startswith(("/api/", "/log/tile/")) or path in ("/log/key", "/log/checkpoint"))
        if (who, url) not in self.cache:
            self.cache[(who, url)] = self.client.get(url, headers=self.headers(who, page), follow_redirects=True)
        return self.cache[(who, url)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from fastapi.testclient import TestClient

    from parley.app import create_app

    tmp = tmp_path_factory.mktemp("matrix")
    with database(request, request.param, tmp) as url:
        rt = make_runtime(url, tmp)
        demo = load_demo_into(rt)
        try:
            with TestClient(create_app(rt.settings, rt)) as client:
                w = World(client, rt, demo)
                _narrow_records(w)
                with rt.sessions() as s:
                    for m in s.execute(select(Member.id)).scalars():
                        p = load_principal(s, m)
                        assert p is not None
                        w.principals[m] = p
                _index_values(w)
                yield w
        finally:
            rt.close()


def _post(w: World, who: str, path: str, body: Any = None, **kw: Any) -> dict[str, Any]:
    r = w.client.post(path, json=body, headers=w.headers(who), **kw)
    assert r.status_code == 201, (who, path, r.text)
    return r.json()


def _narrow_records(w: World) -> None:
    """Records addressed to one party, or one role, so that every kind of leak has something to leak."""
    _post(w, "ru/registrar", "/api/persons", {
        "id": SECRETS["person_ru"], "category": "civilian", "audience": ["party:ru"],
        "person": {"surname": "Сверчковский", "first_name": "Ипполит", "birth_date": "1979-02-11",
                   "birth_place": "Зеленодольск-Приморский", "health": "Перелом ключицы, хромает на левую ногу",
                   "person_to_inform": "сестра, Приозёрск-Северный"}})
    _post(w, "ru/registrar", "/api/inquiries", {
        "sought": {"surname": "Жаворонковский", "first_name": "Савелий", "birth_place": "Верхнеозёрск"},
        "relationship": "брат", "contact": "Семья Жаворонковских, телефон 8-900-000-00-17"})
    ua_inquiry = _post(w, "ua/registrar", "/api/inquiries", {
        "sought": {"surname": "Шпаковський", "first_name": "Остап", "patronymic": "Миронович"}, "relationship": "син",
        "contact": "Родина Шпаковських, телефон 0-800-000-00-31"})["reference"]
    # What the family added (its party's registrars and the mediators read it), and the inquiry released to other
    # tracing services without the patronymic (the PFIF export).
    _post(w, "ua/registrar", f"/api/inquiries/{ua_inquiry}/additions", {
        "marks": "Татуювання Вишиваного Дракона на лівому плечі", "dna_reference": "ДНК-Шпаковський-Дзвенигород"})
    _post(w, "ua/registrar", f"/api/inquiries/{ua_inquiry}/release", {"fields": ["surname", "first_name"]})
    _post(w, "ru/negotiator", "/api/actions", {
        "kind": "record.note", "audience": ["party:ru"],
        "payload": {"text": "Внутренняя записка: переговорная позиция по обмену не для оглашения"}})
    _post(w, "ua/negotiator", "/api/actions", {
        "kind": "record.note", "audience": ["party:ua/registrar"],
        "payload": {"text": "Для реєстраторів: перелік свідків з Маріупольського порту"}})
    _post(w, "ua/negotiator", "/api/zones", {"audience": ["party:ua"], "zone": {
        "id": SECRETS["zone_ua"], "kind": "mined", "name": "Мінне поле біля Старобогданівки",
        "geometry": {"type": "Polygon", "coordinates": [[[35.10, 47.80], [35.20, 47.80], [35.20, 47.90],
                                                          [35.10, 47.90], [35.10, 47.80]]]},
        "valid_from": "2030-01-01T00:00:00Z", "valid_until": "2030-02-01T00:00:00Z",
        "note": "Протитанкові міни, позначені лише з півночі"}})
    _post(w, "icrc/mediator", "/api/operations", {
        "operation": SECRETS["op_ua"], "audience": ["party:icrc", "party:ua"], "plan": {
            "kind": "aid_delivery", "title": "Delivery of insulin to Komyshuvakha clinic",
            "mediator": "icrc", "parties": ["ua"],
            "route": {"type": "LineString", "coordinates": [[35.52, 47.72], [35.60, 47.78]]},
            "origin": {"name": "Zaporizhzhia warehouse nine", "position": [35.52, 47.72]},
            "destination": {"name": "Komyshuvakha clinic", "position": [35.60, 47.78]},
            "window": {"start": "2030-03-01T08:00:00Z", "end": "2030-03-01T16:00:00Z"}}})
    _post(w, "icrc/mediator", f"/api/operations/{SECRETS['op_ua']}/channel",
          {"text": "Convoy leader reachable on channel sixteen after the checkpoint"})
    # A request for access read by the ICRC and Russia only, and Ukraine's monitoring of a person Russia reported,
    # addressed to Ukraine alone (Russia reads the person, not this statement, nor the last known alive it makes).
    _post(w, "icrc/mediator", "/api/access-requests", {
        "id": SECRETS["access_ru"], "holder": "ru", "place": {"name": "Исправительная колония Кречетовка-Заречная"},
        "purpose": "Посещение раненых военнопленных в блоке номер девять"})
    _post(w, "ua/negotiator", "/api/persons/ru-azov-0005/monitoring", {
        "observation": "contact", "date": "2022-07-03", "means": "letter", "note": "Лист через родину Гайдамаченків",
        "source": {"kind": "anonymous_officials", "quote": "Зв'язок із полоненим у Кречетовці підтримується"}})
    _narrow_talks(w)
    sheet = "surname,first_name,birth_date,birth_place\nЩеглов-Камышинский,Аркадий,1988-07-30,Камышин-Заречный\n"
    r = w.client.post("/api/lists", headers=w.headers("ru/registrar"),
                      data={"title": "Список Камышинского лагеря", "default_category": "civilian"},
                      files={"file": ("kamyshin.csv", sheet.encode(), "text/csv")})
    assert r.status_code == 201 and r.json()["accepted"] == 1, r.text


def _narrow_talks(w: World) -> None:
    """A back channel closed to the two parties' negotiators, with an actor, a meeting, a point with a wording, a
    statement and a joint text; a Russia-only actor; a standing line between two liaison officers."""
    closed = ["only", "party:ru/negotiator", "party:ua/negotiator"]
    actor = _post(w, "ua/negotiator", "/api/talks/actors", {"audience": closed, "actor": {
        "names": ["Ярополк Чорноморець-Вишневий"], "acts_for": "ua",
        "title": "посередник з контактами на іншому боці"}})
    _post(w, "ru/negotiator", "/api/talks/actors", {"audience": ["party:ru"], "actor": {
        "names": ["Всеволод Стрижеватенков"], "acts_for": "ru", "body": "Управление внешних связей Стрижеватенкова"}})
    p = _post(w, "ua/negotiator", "/api/talks/processes", {"id": SECRETS["process_ua_ru"], "process": {
        "title": "Канал через Чорноморця-Вишневого", "format": "back_channel", "parties": ["ua", "ru"],
        "intermediaries": [{"actor": actor["id"], "acting_for": "ua"}],
        "note": "Зустрічі лише в Бердичівській ставці"}})
    pid = p["id"]
    _post(w, "ua/negotiator", f"/api/talks/processes/{pid}/meetings", {"meeting": {
        "kind": "visit", "title": "Візит до Бердичівської ставки", "status": "held",
        "actual_start": "2022-04-25T09:00:00Z",
        "venue": {"name": "Бердичівська ставка", "position": [28.58, 49.89]}, "note": "Розмова тривала без перерви"}})
    track = _post(w, "ua/negotiator", f"/api/talks/processes/{pid}/tracks", {"name": "Вихід із заводу Чорноморця"})
    point = _post(w, "ua/negotiator", f"/api/talks/tracks/{track['id']}/points", {"title": "Умови виходу гарнізону"})
    _post(w, "ua/negotiator", f"/api/talks/points/{point['id']}/positions", {
        "position": "proposed", "text": "Гарнізон виходить через північну браму Чорноморця о світанку"})
    _post(w, "ru/negotiator", f"/api/talks/processes/{pid}/statements", {
        "type": "commitment", "text": "Стороне обеспечат цивилизованный выход через Вишневую балку", "language": "ru"})
    _post(w, "ua/negotiator", f"/api/talks/processes/{pid}/texts", {
        "title": "Умови Вишневої балки", "body": "Сторони погодили вихід через Вишневу балку під наглядом"})
    _post(w, "icrc/mediator", "/api/channels", {"audience": ["party:icrc", "party:ru", "party:ua"], "channel": {
        "title": "Лінія зв'язку Кременецького табору", "parties": ["ua", "ru"], "mediator": "icrc",
        "members": ["ua/liaison", "ru/liaison"]}})
    ch = next(c for c in w.client.get("/api/channels", headers=w.headers("ua/liaison")).json()["channels"]
              if c["title"].startswith("Лінія зв'язку"))["id"]
    _post(w, "ua/liaison", f"/api/channels/{ch}/messages", {"text": "Колона чекає біля Кременецького мосту"})


WORD = re.compile(r"\w+")
# Bare dates and numbers, enumerated words, time zone names, member ids (membership every member reads): not what
# a leak is made of.
DULL = re.compile(r"[\d\s\-:.TZ+/]+|[a-z_]+|[A-Z][a-z]+/[A-Za-z_]+|[a-z][a-z0-9-]*/[a-z][a-z0-9-]*")
# Party names: the public inquiry form names the parties that take families' inquiries.
PUBLIC_KINDS = {"party.create", "party.update", "deployment.init"}


def _interface_words() -> set[tuple[str, ...]]:
    """Word sequences of the interface itself (templates, translations, scripts): a payload string that
    is also a label or an example on a page proves nothing when it appears there."""
    import parley.web

    root = Path(parley.web.__file__).parent
    texts = [p.read_text("utf-8") for pattern in ("templates/**/*.html", "i18n/**/*.po", "static/*.js")
             for p in root.glob(pattern)]
    words = WORD.findall("\n".join(texts))
    return {tuple(words[i:i + n]) for n in range(1, 8) for i in range(len(words) - n + 1)}


def _strings(value: Any, top: str | None = None) -> Iterator[tuple[str, str]]:
    """(top-level field, string) for every string in a payload."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, top if top is not None else k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, top)
    elif isinstance(value, str) and top is not None:
        yield top, value


def _index_values(w: World) -> None:
    """Which members may read each string that some record's payload states."""
    allowed: dict[str, set[str]] = defaultdict(set)
    interface = _interface_words()
    with w.runtime.sessions() as s:
        rows = s.execute(select(LogEntry).order_by(LogEntry.idx)).scalars().all()
        opener = sealing.Opener(s)  # personal payloads are stored sealed (records/sealing.py)
        opened = [opener.open(row.payload, row.payload_hash)[0] or "{}" for row in rows]
        public = {row.idx for row in rows if policy.is_public(s, row.kind, row.idx)}  # a released statement's
    for row, text in zip(rows, opened, strict=True):
        payload = json.loads(text)
        for top, value in _strings(payload):
            v = value.strip()
            if len(v) < 8 or DULL.fullmatch(v) or not WORD.findall(v) or tuple(WORD.findall(v)) in interface:
                continue
            readers = {m for m, p in w.principals.items()
                       if policy.may_read(p, row.kind, row.audience, row.party)
                       and policy.may_read_field(p, row.kind, top)}
            if row.kind in PUBLIC_KINDS:
                readers.add(ANONYMOUS)
            if row.idx in public:
                readers |= {*w.principals, ANONYMOUS}
            allowed[v] |= readers
    w.values = dict(allowed)
    for v in w.values:
        toks = tuple(WORD.findall(v))
        w.words.setdefault(toks[0], {}).setdefault(len(toks), {}).setdefault(toks, []).append(v)


def _visible_text(r: Any) -> str:
    ctype = r.headers.get("content-type", "")
    if "spreadsheetml" in ctype:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(r.content), read_only=True)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                         for c in row if c is not None)
    if "json" in ctype:
        return json.dumps(r.json(), ensure_ascii=False)
    if ctype.startswith("application/octet-stream"):
        return r.content.decode("utf-8", "replace")
    return html.unescape(r.text)


def _found(w: World, r: Any) -> list[tuple[int, int, str]]:
    """The payload strings in an answer's visible text, each with the span of words it covers; found once for
    each distinct answer (many members are sent the same page or listing)."""
    key = (r.headers.get("content-type", ""), r.content)
    found = w.found.get(key)
    if found is None:
        toks = WORD.findall(_visible_text(r))
        found = w.found[key] = [(i, i + n, v) for i, t in enumerate(toks) for n, seqs in w.words.get(t, {}).items()
                                for v in seqs.get(tuple(toks[i:i + n]), ())]
    return found


def _leaks(w: World, who: str, r: Any) -> list[str]:
    """Payload strings in the answer that ``who`` may not read; a string inside a longer one it may read
    (a place name inside a report it may read) is that report, not a leak."""
    if r.status_code >= 300:
        return []
    found = _found(w, r)
    allowed = {k for a, b, v in found if who in w.values[v] for k in range(a, b)}
    return sorted({v for a, b, v in found if who not in w.values[v] and not allowed.issuperset(range(a, b))})


# -- the routes ------------------------------------------------------------------------------------
def _get_routes(app: Any) -> set[str]:
    paths = set()
    for r in app.routes:
        if hasattr(r, "effective_route_contexts"):
            paths |= {c.path for c in r.effective_route_contexts() if "GET" in (c.methods or ())}
        elif "GET" in (getattr(r, "methods", None) or ()):
            paths.add(r.path)
    return paths


def _samples(w: World) -> dict[str, list[str]]:
    """Values for each path parameter: one record of every (kind, audience, author party), every
    operation, list, inquiry and party, persons of every audience."""
    with w.runtime.sessions() as s:
        entries = s.execute(select(LogEntry.idx, LogEntry.kind, LogEntry.audience, LogEntry.party)).all()
        seen: dict[tuple[Any, str, str], int] = {}
        for idx, kind, aud, party in entries:  # kinds with the same readers read alike
            seen.setdefault((policy.readers(kind), aud, party), idx)
        persons: dict[tuple[str, str], str] = {}
        for pid, aud, party in s.execute(select(Person.id, Person.audience, Person.party)).all():
            persons.setdefault((aud, party), pid)
        size = len(entries)
        return {
            "index": [str(i) for i in sorted(seen.values())],
            "op_id": list(s.execute(select(Operation.id)).scalars()),
            "pid": sorted(persons.values()),
            "list_id": list(s.execute(select(PersonList.id)).scalars()),
            "ref": list(s.execute(select(Inquiry.id)).scalars()),
            "rid": list(s.execute(select(AccessRequest.id)).scalars()),
            "slug": list(s.execute(select(Party.slug)).scalars()),
            "party/handle": ["ua/registrar", "ru/admin", "icrc/auditor"],
            "fmt": ["csv", "xlsx"],
            "chart_file": ["exchanges.svg", "evacuations.svg", "inquiries.svg", "exchanges.png"],
            "process_id": list(s.execute(select(TalksProcess.id)).scalars()),
            "point_id": _one_per_audience(s, TalksPoint),
            "track_id": _one_per_audience(s, TalksTrack),
            "text_id": _one_per_audience(s, TalksText),
            "version": ["1"],
            "meeting_id": _one_per_audience(s, TalksMeeting),
            "actor_id": _one_per_audience(s, TalksActor),
            "channel_id": list(s.execute(select(StandingChannel.id)).scalars()),
            "exchange_id": list(s.execute(select(Exchange.id)).scalars()),
            "statement_id": list(s.execute(select(Statement.id)).scalars()),
            "path": [f"entries/{_first_tile(size)}", f"0/{_first_tile(size)}"],
        }


def _first_tile(size: int) -> str:
    """The address of the first tile of a tree of ``size`` leaves: full (``000``) or partial (``000.p/<n>``)."""
    return "000" if size >= 256 else f"000.p/{size}"


def _one_per_audience(s: Any, table: Any) -> list[str]:
    """One id of ``table`` for each (audience, author party): rows alike are read alike."""
    seen: dict[tuple[str, str], str] = {}
    for oid, aud, party in s.execute(select(table.id, table.audience, table.party).order_by(table.idx)).all():
        seen.setdefault((aud, party), oid)
    return sorted(seen.values())


MOVED = {"/records/{index}"}
QUERIES = {
    "/api/log/records": ["?limit=5000", "?limit=5000&kind=person.register", "?limit=5000&kind=inquiry.file",
                         "?limit=5000&kind=record.note", "?limit=5000&payload=canonical"],
    "/log": ["?limit=500", "?kind=person.register&limit=500", "?kind=inquiry.file&limit=500"],
    # Searches in another spelling than the record's (the search box shows what was asked).
    "/api/persons": ["", "?q=Sverchkovskyi", "?q=Шпаковский"],
    "/people": ["", "?q=Sverchkovskii"],
    "/api/log/consistency": ["?old=1&new=2"],
    "/api/public/consistency": ["?old=1&new=2"],
    # An exchange's lists compared version by version (its page compares the last two by default), its counts of
    # one stage; the remains by state and side.
    "/api/exchanges/{exchange_id}/lists/diff": ["?side=ru&direction=hand_over&old=1&new=2"],
    "/exchanges/{exchange_id}/counts": ["", "?stage=1"],
    "/api/exchanges/{exchange_id}/reconciliation": ["", "?stage=1"],
    "/exchanges/{exchange_id}/remains": ["", "?state=identified&sender=ru"],
}


def _urls(w: World, paths: set[str]) -> list[str]:
    samples = _samples(w)
    out = []
    for path in sorted(paths):
        if path.startswith("/static"):
            continue
        names = re.findall(r"\{([^}:]+)(?::[^}]*)?\}", path)
        if not names:
            expanded = [path]
        elif names == ["party", "handle"]:
            expanded = [f"/members/{m}" for m in samples["party/handle"]]
        elif len(names) > 1:
            # Every combination of each parameter's samples (one address parameter after the other).
            expanded = [path]
            for name in names:
                expanded = [u.replace("{" + name + "}", v, 1) for u in expanded for v in samples[name]]
        else:
            assert len(names) == 1, f"no samples for {path}"
            values = samples[names[0]]
            # The explorer's first addresses only redirect to the ones walked in full.
            expanded = [re.sub(r"\{[^}]+\}", v, path) for v in (values[-1:] if path in MOVED else values)]
        for u in expanded:
            out += [u + q for q in QUERIES.get(path, [""])]
    return out


def _who(w: World) -> list[str]:
    return [*sorted(w.principals), ANONYMOUS]


# -- the tests ---------------------------------------------------------------------------------------
def test_every_get_route_is_walked_or_public(world):
    routes = _get_routes(world.client.app)
    walked = {u.split("?")[0] for u in _urls(world, routes)}
    for path in routes - set(PUBLIC):
        if path.startswith("/static"):
            continue
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", re.sub(r"\{[^}]+:path\}", ".+", path))
        assert any(re.fullmatch(pattern, u) for u in walked), f"{path} is neither walked by the read matrix nor public"


# The walk reads the same rows through the same policy on either database: SQLite walks it, and the
# listings' checks below run on both.
@pytest.mark.slow
@pytest.mark.parametrize("world", ["sqlite"], indirect=True)
def test_no_answer_carries_what_its_reader_may_not_read(world):
    urls = _urls(world, _get_routes(world.client.app))
    problems = []
    for who in _who(world):
        for url in urls:
            path = url.split("?")[0]
            page = not (url.startswith(("/api/", "/log/tile/")) or path in ("/log/key", "/log/checkpoint"))
            r = world.get(who, url)
            if r.status_code >= 500:
                problems.append(f"{who} {url}: {r.status_code}")
            if who == ANONYMOUS and not any(re.fullmatch(p, path) for p in PUBLIC):
                # Pages send anyone without a session to sign in; the API answers 401.
                if not (r.status_code == 401 or (page and "/signin" in str(r.url))):
                    problems.append(f"{who} {url}: {r.status_code} without credentials")
                continue
            problems += [f"{who} {url}: {v!r}" for v in _leaks(world, who, r)]
    assert not problems, "\n".join(problems[:50]) + f"\n({len(problems)} in all)"


def _allowed_records(w: World, who: str) -> set[int]:
    p = w.principals[who]
    with w.runtime.sessions() as s:
        return {e.idx for e in s.execute(select(LogEntry)).scalars()
                if policy.may_read_record(p, e.kind, e.audience, e.party)}


def test_log_listings_and_record_pages_follow_the_policy(world):
    samples = [int(i) for i in _samples(world)["index"]]
    for who in sorted(world.principals):
        allowed = _allowed_records(world, who)
        got = world.get(who, "/api/log/records?limit=5000").json()
        listed = {r["index"] for r in got["records"]}
        # Reading a channel signs receipts, so the log may have grown between two answers.
        assert listed == {i for i in allowed if i < got["size"]}, who
        for kind in ("person.register", "inquiry.file", "record.note"):
            got_kind = world.get(who, f"/api/log/records?limit=5000&kind={kind}").json()
            assert {r["index"] for r in got_kind["records"]} <= allowed, (who, kind)
        shown = {int(i) for i in re.findall(r'href="/log/records/(\d+)"', world.get(who, "/log?limit=500").text)}
        assert listed <= shown <= allowed, who
        for i in samples:
            want = 200 if i in allowed else 404
            assert world.get(who, f"/api/log/records/{i}").status_code == want, (who, i)
            assert world.get(who, f"/log/records/{i}").status_code == want, (who, i)


def test_entry_bundles_only_for_a_mediators_auditors(world):
    size = int(world.client.get("/log/checkpoint", headers=world.headers("ua/admin")).text.split("\n")[1])
    for who, p in world.principals.items():
        r = world.client.get(f"/log/tile/entries/{_first_tile(size)}", headers=world.headers(who))
        assert r.status_code == (200 if may_read_bundles(p) else 403), who
    assert [m for m, p in world.principals.items() if may_read_bundles(p)] == ["icrc/auditor"]


def _rows(w: World, model: Any) -> list[Any]:
    with w.runtime.sessions() as s:
        rows = list(s.execute(select(model)).scalars())
        for r in rows:
            s.expunge(r)
        return rows


@pytest.mark.parametrize("route,model,kind,key,ident", [
    ("/api/persons", Person, "person.register", "persons", "id"),
    ("/api/operations", Operation, "operation.propose", "operations", "id"),
    ("/api/zones", Zone, "zone.declare", "zones", "id"),
    ("/api/inquiries", Inquiry, "inquiry.file", "inquiries", "reference"),
    ("/api/lists", PersonList, "list.import", "lists", "id"),
    ("/api/access-requests", AccessRequest, "place.access_request", "requests", "id"),
])
def test_each_listing_shows_what_the_policy_allows(world, route, model, kind, key, ident):
    rows = _rows(world, model)
    if model is Zone:
        rows = [z for z in rows if z.withdrawn_idx is None]
    for who, p in world.principals.items():
        r = world.get(who, route)
        if not (p.roles & policy.readers(kind).roles):
            assert r.status_code in (200, 403), (who, route)
            if r.status_code == 200:
                assert r.json()[key] == [], (who, route)
            continue
        assert r.status_code == 200, (who, route, r.text)
        got = {x[ident] for x in r.json()[key]}
        want = {x.id for x in rows if policy.may_read(p, kind, x.audience, x.party)}
        assert got == want, (who, route)
        if model is Inquiry:
            contact = {x["reference"] for x in r.json()[key] if "contact" in x["sought"]}
            assert contact == (want if policy.may_read_field(p, kind, "contact") else set()), who


def test_the_matrix_has_something_to_find(world):
    """The secrets exist and their readers see them: a matrix that walks empty pages proves nothing."""
    h = world.headers
    assert world.client.get(f"/api/persons/{SECRETS['person_ru']}", headers=h("ru/registrar")).status_code == 200
    assert world.client.get(f"/api/persons/{SECRETS['person_ru']}", headers=h("icrc/mediator")).status_code == 200
    assert world.client.get(f"/api/persons/{SECRETS['person_ru']}", headers=h("ua/registrar")).status_code == 404
    assert world.client.get(f"/api/persons/{SECRETS['person_ru']}", headers=h("ru/liaison")).status_code == 403
    assert world.client.get(f"/api/operations/{SECRETS['op_ua']}", headers=h("ua/press")).status_code == 200
    # A request for access Ukraine may not read: neither it nor its existence (404 as for an absent one).
    rid = SECRETS["access_ru"]
    assert world.client.get(f"/api/access-requests/{rid}", headers=h("ru/negotiator")).status_code == 200
    assert world.client.get(f"/api/access-requests/{rid}", headers=h("ua/negotiator")).status_code == 404
    assert world.client.get("/api/access-requests/icrc-no-such", headers=h("ua/negotiator")).status_code == 404
    assert rid not in world.client.get("/api/access-requests", headers=h("ua/negotiator")).text
    assert rid not in world.client.get("/access", headers=h("ua/negotiator", True)).text
    assert world.client.get(f"/access/{rid}", headers=h("ua/negotiator", True)).status_code == 404
    assert world.client.get(f"/api/operations/{SECRETS['op_ua']}", headers=h("ru/negotiator")).status_code == 404
    page = world.client.get(f"/people/{SECRETS['person_ru']}", headers=h("icrc/auditor", True)).text
    assert "Сверчковский" in page and "Перелом ключицы" in page
    restricted = [v for v, who in world.values.items() if who != set(world.principals)]
    assert len(restricted) > 100 and "Семья Жаворонковских, телефон 8-900-000-00-17" in restricted
    assert world.values["Семья Жаворонковских, телефон 8-900-000-00-17"] == {"ru/registrar"}
    # A note Ukraine's negotiator addressed to Ukraine's registrars: its own party reads it in that role only.
    mediators = {"icrc/admin", "icrc/mediator", "icrc/auditor", "un-ocha/liaison"}
    assert world.values["Для реєстраторів: перелік свідків з Маріупольського порту"] == {"ua/registrar", *mediators}
    # The walk's detector finds such a string in an answer to a member who may not read it, and only there.
    secret = "Семья Жаворонковских, телефон 8-900-000-00-17"
    body = f"<p>Записка: {html.escape(secret)}.</p>"
    answer = SimpleNamespace(status_code=200, headers={"content-type": "text/html"}, text=body, content=body.encode())
    assert _leaks(world, "ua/registrar", answer) == [secret]
    assert _leaks(world, "ru/registrar", answer) == []
