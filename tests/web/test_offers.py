"""The pages offer each member exactly the actions the write rules allow them (``parley.*.rules``): every
demo member walks the parties, members, operations, zones, incidents and the registry's pages, and each form,
button and link that starts a write is there if and only if its predicate holds for that member and object.
The kinds enforce the same predicates (``tests/*/test_rules.py`` hold their truth tables)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.operations import rules as op_rules
from parley.operations import service as op_svc
from parley.operations.models import OperationAnswer, OperationVersion
from parley.parties import rules as party_rules
from parley.parties.principal import Principal, load_principal
from parley.people import rules as people_rules
from parley.people import service as people_svc
from parley.records.compose import compose
from parley.records.kinds import manages, manages_keys
from parley.runtime import Runtime
from tests.conftest import ORIGIN, Demo, load_demo_into, make_runtime
from tests.web.test_pages import csrf, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)
AUD = "party:icrc,party:ru,party:ua"
ROUTE = {"type": "LineString", "coordinates": [[37.6122, 47.0967], [37.3003, 47.0558], [36.7903, 46.7558],
                                               [35.1396, 47.8388]]}


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(title: str, days: int) -> dict[str, Any]:
    start = NOW + timedelta(days=days)
    return {"kind": "evacuation", "title": title, "mediator": "icrc", "parties": ["ru", "ua"], "route": ROUTE,
            "origin": {"name": "Azovstal", "position": [37.6122, 47.0967]},
            "destination": {"name": "Zaporizhzhia", "position": [35.1396, 47.8388]},
            "window": {"start": iso(start), "end": iso(start + timedelta(hours=12))}, "time_zone": "Europe/Kyiv",
            "buffer_m": 1000}


def submit(rt: Runtime, demo: Demo, who: str, kind: str, payload: Any, audience: str = AUD) -> Any:
    return rt.pipeline.submit(compose(demo.signer(who), origin=ORIGIN, kind=kind, audience=audience,
                                      payload=payload), payload)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, Demo, TestClient]]:
    """The demo, plus operations in every status a form depends on and a zone of a belligerent's own."""
    d: Path = tmp_path_factory.mktemp("offers")
    rt = make_runtime(f"sqlite:///{d / 'parley.db'}", d)
    demo = load_demo_into(rt)
    for n, op_id in enumerate(("icrc-offers-proposed", "icrc-offers-acknowledged", "icrc-offers-under-way")):
        submit(rt, demo, "icrc/mediator", "operation.propose", {"operation": op_id, "plan": plan(op_id, 4 + n)})
        if op_id != "icrc-offers-proposed":
            for member in ("ru/liaison", "ua/liaison"):
                submit(rt, demo, member, "operation.answer", {"operation": op_id, "version": 1,
                                                              "answer": "acknowledged"})
    submit(rt, demo, "icrc/mediator", "operation.status", {"operation": "icrc-offers-under-way", "action": "start",
                                                          "reason": "The parties asked to start early."})
    # Proposed by Ukraine: its own answer is the proposal; Russia's is awaited.
    submit(rt, demo, "ua/negotiator", "operation.propose", {"operation": "ua-offers-proposed",
                                                            "plan": plan("ua-offers-proposed", 8)})
    submit(rt, demo, "ua/negotiator", "zone.declare", {
        "id": "ua-offers-zone", "kind": "mined", "name": "Mined field", "valid_from": iso(NOW),
        "valid_until": iso(NOW + timedelta(days=3)),
        "geometry": {"type": "Polygon", "coordinates": [[[37.40, 47.10], [37.45, 47.10], [37.45, 47.14],
                                                         [37.40, 47.10]]]}}, audience="all")
    with TestClient(create_app(rt.settings, rt)) as client:
        yield rt, demo, client
    rt.close()


class Offers:
    """Each check: what the page offered against what the predicate says; and which answers were seen."""

    def __init__(self) -> None:
        self.seen: dict[str, set[bool]] = defaultdict(set)

    def check(self, name: str, member: str, offered: bool, allowed: bool) -> None:
        shown = "offered" if offered else "not offered"
        assert offered == allowed, f"{member}: {name} is {shown} but the rule says {allowed}"
        self.seen[name].add(allowed)

    def both_seen(self, *names: str) -> None:
        """Each check met a member who may and one who may not: the walk tells the rules apart."""
        for name in names:
            assert self.seen[name] == {True, False}, (name, self.seen[name])


def members(demo: Demo) -> list[str]:
    return sorted(demo.signins)


def as_member(client: TestClient, demo: Demo, member: str) -> None:
    client.post("/signout", data={"csrf": csrf(client, "/signin")})
    sign_in(client, demo, member)


def principal(rt: Runtime, member: str) -> Principal:
    with rt.sessions() as s:
        who = load_principal(s, member)
    assert who is not None
    return who


def test_membership_pages_offer_what_the_membership_rules_allow(world):
    rt, demo, client = world
    offers = Offers()
    for member in members(demo):
        as_member(client, demo, member)
        who = principal(rt, member)
        html = client.get("/parties").text
        offers.check("create a party", member, '<form method="post" action="/parties" ' in html,
                     party_rules.may_create_party(who))
        for party in ("ua", "ru", "icrc"):
            html = client.get(f"/parties/{party}").text
            with rt.sessions() as s:
                allowed = manages(s, who, party)
            offers.check("add a member", member, f'action="/parties/{party}/members"' in html, allowed)
        for target in {member, "ua/negotiator", "icrc/mediator"}:
            html = client.get(f"/members/{target}").text
            with rt.sessions() as s:
                allowed = manages_keys(s, who, target, target.partition("/")[0])
            offers.check("register a key", member, f'action="/members/{target}/keys"' in html, allowed)
            offers.check("rotate the web key", member, f'action="/members/{target}/rotate"' in html, allowed)
            offers.check("create a token", member, f'action="/members/{target}/token"' in html,
                         party_rules.may_create_token(who, target))
            offers.check("end a session", member, f'action="/members/{target}/sessions/' in html,
                         party_rules.may_end_sessions(who, target))
    offers.both_seen("create a party", "add a member", "register a key", "create a token", "end a session")
    # The demo's rules, read off the table: a party's own admin manages it; a mediator's admin creates parties
    # but no longer manages a party that has its own admin.
    assert party_rules.may_create_party(principal(rt, "icrc/admin"))
    with rt.sessions() as s:
        assert manages(s, principal(rt, "ua/admin"), "ua")
        assert not manages(s, principal(rt, "icrc/admin"), "ua")


def test_operation_pages_offer_what_the_operation_rules_allow(world):
    rt, demo, client = world
    offers = Offers()
    for member in members(demo):
        as_member(client, demo, member)
        who = principal(rt, member)
        html = client.get("/operations").text
        offers.check("propose", member, 'class="button primary" href="/operations/new"' in html,
                     op_rules.may_propose(who))
        with rt.sessions() as s:
            ops = [(op.id, op.mediator, op.party_list, op.status, op.version) for op in op_svc.operations(s, who)]
        for op_id, *_ in ops:
            html = client.get(f"/operations/{op_id}").text
            with rt.sessions() as s:
                op = op_svc.operation(s, who, op_id)
                answered = s.get(OperationAnswer, (op.id, op.version, who.party)) is not None
                offers.check("answer", member, 'id="answer-form"' in html, op_rules.may_answer(who, op, answered))
                offers.check("counter-propose", member, 'id="counter-link"' in html,
                             op_rules.may_answer(who, op, answered))
                shown = re.findall(r'id="action-(\w+)"', html)
                window_end = s.get(OperationVersion, (op.id, op.version)).window_end
                assert shown == op_rules.status_actions(who, op, op_svc.now_utc(), window_end), (member, op_id, shown)
                offers.check("change the status", member, bool(shown), any(
                    op_rules.may_change_status(who, op, a) for a in op_rules.ACTIONS))
                offers.check("report a movement", member, 'id="movement-form"' in html,
                             op_rules.may_report_movement(who, op))
                offers.check("report the outcome", member, 'id="outcome-form"' in html,
                             op_rules.may_report_outcome(who, op))
                offers.check("post to the channel", member, 'id="channel-form"' in html,
                             op_rules.may_use_channel(who, op))
                if op.status == "proposed":
                    counter = client.get(f"/operations/{op_id}/counter")
                    offers.check("open the counter-proposal form", member, counter.status_code == 200,
                                 op_rules.may_answer(who, op, answered))
        html = client.get("/zones").text
        offers.check("declare a zone", member, 'id="zone-form"' in html, op_rules.may_declare_zone(who))
        with rt.sessions() as s:
            for z in op_svc.zones(s, who):
                offers.check("withdraw a zone", member, f'action="/zones/{z.id}/withdraw"' in html,
                             op_rules.may_withdraw_zone(who, z))
        html = client.get("/incidents").text
        offers.check("report an incident", member, 'id="incident-form"' in html, op_rules.may_report_incident(who))
        with rt.sessions() as s:
            for group in op_svc.incidents(s, who):
                first = group[0]
                offers.check("give another account", member, f'<option value="{first.id}"' in html,
                             op_rules.may_give_account(who, first))
    offers.both_seen("propose", "answer", "counter-propose", "change the status", "report a movement",
                     "report the outcome", "post to the channel", "open the counter-proposal form", "declare a zone",
                     "withdraw a zone", "report an incident", "give another account")


def test_registry_pages_offer_what_the_registry_rules_allow(world):
    rt, demo, client = world
    offers = Offers()
    for member in members(demo):
        as_member(client, demo, member)
        who = principal(rt, member)
        page = client.get("/people")
        if not people_svc.may_read_people(who):
            # Nothing of the registry is shown, so nothing is offered; the forms' addresses refuse too.
            assert page.status_code == 403 and 'href="/people/new"' not in page.text
            for path in ("/people/new", "/lists/import", "/inquiries/new"):
                assert client.get(path).status_code == 403, (member, path)
            continue
        html = page.text
        offers.check("register a person", member, 'href="/people/new"' in html, people_rules.may_register(who))
        offers.check("open the person form", member, client.get("/people/new").status_code == 200,
                     people_rules.may_register(who))
        offers.check("import a list", member, 'href="/lists/import"' in html, people_rules.may_import_list(who))
        offers.check("import from the lists", member, 'id="import-link"' in client.get("/lists").text,
                     people_rules.may_import_list(who))
        offers.check("open the import wizard", member, client.get("/lists/import").status_code == 200,
                     people_rules.may_import_list(who))
        offers.check("file an inquiry", member, 'id="new-inquiry"' in client.get("/inquiries").text,
                     people_rules.may_file_inquiry(who))
        offers.check("open the inquiry form", member, client.get("/inquiries/new").status_code == 200,
                     people_rules.may_file_inquiry(who))
        with rt.sessions() as s:
            inquiries = people_svc.inquiries(s, who)
            persons = [p for p, _ in people_svc.select_persons(s, who, limit=1)]
        for i in inquiries:
            html = client.get(f"/inquiries/{i.id}").text
            offers.check("answer an inquiry", member, 'id="message-form"' in html, people_rules.may_decide(who, i))
            offers.check("close an inquiry", member, 'id="close-form"' in html, people_rules.may_decide(who, i))
        for person in persons:  # an observer's member reads no person of the demo
            html = client.get(f"/people/{person.id}").text
            offers.check("record a status event", member, 'id="event-form"' in html,
                         people_rules.may_record_event(who))
        html = client.get("/review?threshold=0.05").text
        if 'id="queue-empty"' not in html:
            offers.check("decide a match", member, 'action="/review/decide"' in html,
                         people_rules.may_decide_match(who))
    offers.both_seen("register a person", "open the person form", "import a list", "import from the lists",
                     "open the import wizard", "file an inquiry", "open the inquiry form", "answer an inquiry",
                     "close an inquiry", "record a status event", "decide a match")
