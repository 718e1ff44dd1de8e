"""Who may change who may act: nobody widens their own powers, no role a belligerent's admin can give
reads another party's records, and a mediator's admin sets a party up but never acts as its member.

Each refusal is checked to store nothing: the log does not grow and the tables do not change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from parley.log import tiles
from parley.log.models import LogEntry
from parley.log.note import Signer
from parley.parties.models import Credential, Member, MemberKey
from tests.web.test_pages import csrf, sign_in

NAMES = {"en": "Quality Assurance Republic", "uk": "Республіка Контролю", "ru": "Республика Контроля"}


def act(client: Any, demo: Any, who: str, kind: str, payload: dict[str, Any], audience: list[str] | None = None):
    return client.post("/api/actions", headers=demo.headers(who),
                       json={"kind": kind, "audience": audience or ["all"], "payload": payload})


def log_size(runtime: Any) -> int:
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(LogEntry))


def roles(runtime: Any, member: str) -> set[str]:
    with runtime.sessions() as s:
        m = s.get(Member, member)
        assert m is not None
        return set(m.role_set)


def refused(client: Any, demo: Any, runtime: Any, who: str, kind: str, payload: dict[str, Any], status: int,
            words: str) -> None:
    before = log_size(runtime)
    r = act(client, demo, who, kind, payload)
    assert r.status_code == status, r.text
    assert words in r.json()["message"], r.json()
    assert log_size(runtime) == before


def test_nobody_widens_their_own_powers(client, demo, runtime):
    refused(client, demo, runtime, "ua/admin", "member.update", {"member": "ua/admin", "roles": ["admin", "auditor"]},
            403, "nobody widens their own powers")
    assert roles(runtime, "ua/admin") == {"admin"}
    # Narrowing or keeping one's roles is not widening; dropping admin stays with another admin.
    assert act(client, demo, "ua/admin", "member.update", {"member": "ua/admin", "roles": ["admin"],
                                                           "display_name": "Oksana H."}).status_code == 201
    refused(client, demo, runtime, "ua/admin", "member.update", {"member": "ua/admin", "roles": ["negotiator"]},
            409, "cannot deactivate or demote themself")


def test_no_role_a_belligerent_gives_reads_across_parties(client, demo, runtime):
    # Russia's registrar records a person for Russia alone.
    r = client.post("/api/persons", headers=demo.headers("ru/registrar"), json={
        "id": "ru-only-person", "category": "civilian", "audience": ["party:ru"],
        "person": {"surname": "Тетеревятников", "first_name": "Игнат"}})
    assert r.status_code == 201, r.text
    size = int(client.get("/log/checkpoint", headers=demo.headers("ua/admin")).text.split("\n")[1])
    # Ukraine's admin gives its press officer every role there is: accepted, it is the party's own business…
    r = act(client, demo, "ua/admin", "member.update", {"member": "ua/press", "roles": [
        "admin", "auditor", "intake", "liaison", "negotiator", "press", "registrar"]})
    assert r.status_code == 201, r.text
    # …and none of them reads what Russia addressed to itself, nor the entry bundles.
    h = demo.headers("ua/press")
    assert client.get("/api/persons/ru-only-person", headers=h).status_code == 404
    assert "ru-only-person" not in client.get("/api/persons", headers=h).text
    first = tiles.tile_path(-1, 0, min(size, tiles.TILE_WIDTH))  # the first entry bundle, full or partial
    assert client.get(f"/log/{first}", headers=h).status_code == 403
    listed = client.get("/api/log/records?limit=5000", headers=h).json()["records"]
    def names_ua(audience: str) -> bool:  # "party:ua", or Ukraine in a role ("party:ua/negotiator")
        return any(t == "party:ua" or t.startswith("party:ua/") for t in audience.split(","))

    assert all(rec["party"] == "ua" or names_ua(rec["audience"]) or rec["audience"] == "all" for rec in listed)
    # A mediator's auditor does read it.
    assert client.get("/api/persons/ru-only-person", headers=demo.headers("icrc/auditor")).status_code == 200


def test_a_mediators_admin_never_acts_as_a_belligerents_member(client, demo, runtime):
    vkey = Signer.generate("ua/mole").vkey()
    refused(client, demo, runtime, "icrc/admin", "member.create", {
        "party": "ua", "handle": "mole", "display_name": "Mole", "roles": ["admin", "negotiator"], "vkey": vkey},
        403, "only an admin of party 'ua' manages its members and keys")
    held = Signer.generate("ua/negotiator")
    refused(client, demo, runtime, "icrc/admin", "key.register", {"member": "ua/negotiator", "vkey": held.vkey()},
            403, "manages its members and keys")
    with runtime.sessions() as s:
        key = s.execute(select(MemberKey).where(MemberKey.member == "ua/negotiator")).scalars().first()
        assert key is not None
        kid = key.key_id
    refused(client, demo, runtime, "icrc/admin", "key.revoke", {"member": "ua/negotiator", "key_id": kid},
            403, "manages its members and keys")
    refused(client, demo, runtime, "icrc/admin", "member.update", {"member": "ua/negotiator", "active": False},
            403, "manages its members and keys")
    refused(client, demo, runtime, "icrc/admin", "party.update", {"slug": "ua", "names": NAMES},
            403, "manages its members and keys")
    # Another belligerent's admin neither.
    refused(client, demo, runtime, "ru/admin", "member.update", {"member": "ua/negotiator", "active": False},
            403, "only an admin of party 'ua'")
    with runtime.sessions() as s:
        assert s.get(Member, "ua/mole") is None
        assert s.get(Member, "ua/negotiator").active


def test_the_web_form_refuses_a_mediator_adding_a_belligerents_member(sqlite_client, sqlite_demo, sqlite_runtime):
    sign_in(sqlite_client, sqlite_demo, "icrc/admin")
    page = sqlite_client.get("/parties/ua").text
    assert "/parties/ua/members" not in page  # no form offered
    before = log_size(sqlite_runtime)
    r = sqlite_client.post("/parties/ua/members", data={
        "handle": "mole3", "display_name": "Mole", "roles": ["admin", "negotiator"], "password": "mole-password-123",
        "csrf": csrf(sqlite_client, "/parties/ua")})
    assert r.status_code == 403 and "manages its members and keys" in r.text
    assert log_size(sqlite_runtime) == before
    with sqlite_runtime.sessions() as s:
        assert s.get(Member, "ua/mole3") is None and s.get(Credential, "ua/mole3") is None
    # The forms on a belligerent member's page are not offered to the mediator either.
    page = sqlite_client.get("/members/ua/negotiator").text
    assert "/members/ua/negotiator/keys" not in page


def test_a_mediator_sets_a_party_up_then_the_party_runs_itself(client, demo, runtime):
    assert act(client, demo, "icrc/admin", "party.create", {"slug": "qa", "kind": "belligerent",
                                                             "names": NAMES}).status_code == 201
    first = Signer.generate("qa/admin")
    r = act(client, demo, "icrc/admin", "member.create", {"party": "qa", "handle": "admin", "display_name": "QA admin",
                                                          "roles": ["admin"], "vkey": first.vkey()})
    assert r.status_code == 201, r.text
    # The party has its own admin now: the mediator's part is over.
    refused(client, demo, runtime, "icrc/admin", "member.create", {
        "party": "qa", "handle": "second", "display_name": "Second", "roles": ["negotiator"],
        "vkey": Signer.generate("qa/second").vkey()}, 403, "no admin of its own")
    # No slug may extend another's with a dash: ids are namespaced by the party's slug and a dash.
    refused(client, demo, runtime, "icrc/admin", "party.create", {"slug": "un", "kind": "mediator", "names": NAMES},
            409, "would share the id prefix of party 'un-ocha'")
    # Parties without an admin of their own (the demo's observer) are still set up by the mediator.
    r = act(client, demo, "icrc/admin", "member.create", {"party": "tr", "handle": "second", "display_name": "Second",
                                                          "roles": ["negotiator"],
                                                          "vkey": Signer.generate("tr/second").vkey()})
    assert r.status_code == 201, r.text
