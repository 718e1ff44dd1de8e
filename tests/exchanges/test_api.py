"""An exchange over the API from proposal to act, on both databases: terms signed by both parties (a
counter-proposal needing fresh signatures), lists checked, a refusal taken off, a plan by the solver with pins and
exclusions, the handover person by person with the registry following, each side's count reconciled, the act of
transfer; and every refusal the issue names, each storing nothing."""

from __future__ import annotations

from typing import Any

from parley.exchanges.kinds import terms_hash


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.json().get("code") == code, r.text
    return dict(r.json())


def log_size(client: Any, h: Any) -> int:
    return int(client.get("/log/checkpoint", headers=h("icrc/auditor")).text.splitlines()[1])


TERMS = {"kind": "prisoners", "formula": {"kind": "n_for_n", "n": 2}, "stages": [{"number": 1, "size": 2}],
         "place": "handover point (test)"}
HELD_BY_RU = ["ru-azov-0020", "ru-azov-0021", "ru-azov-0022"]  # Azovstal defenders Russia holds (demo registry)


def _ua_prisoners(client: Any, h: Any) -> list[str]:
    out = []
    for i, (surname, first) in enumerate((("Тестов", "Іван"), ("Пробний", "Олег"), ("Зразков", "Петро")), 1):
        out.append(ok(client.post("/api/persons", json={
            "id": f"ua-test-pow-{i}", "category": "pow", "own_party": "ru",
            "person": {"surname": surname, "first_name": first, "birth_date": "1990",
                       "capture_date": f"2022-0{i}-01"},
            "audience": ["party:ru", "party:ua"]}, headers=h("ua/registrar")))["person"])
    return out


def agreed(client: Any, h: Any) -> str:
    x = ok(client.post("/api/exchanges", json={"title": "Test exchange", "parties": ["ua", "ru"],
                                                "mediators": ["icrc"], "terms": TERMS},
                       headers=h("icrc/mediator")))["id"]
    for who in ("ua/negotiator", "ru/negotiator"):
        ok(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 1, "sha256": terms_hash(TERMS)},
                       headers=h(who)))
    return x


def test_a_whole_exchange_from_terms_to_the_act(client, demo):
    h = demo.headers
    x = ok(client.post("/api/exchanges", json={"title": "Test exchange", "parties": ["ua", "ru"],
                                                "mediators": ["icrc"], "terms": {**TERMS, "formula": {
                                                    "kind": "n_for_n", "n": 1}, "stages": [{"number": 1}]}},
                       headers=h("ua/negotiator")))["id"]
    assert x.startswith("ua-exchange-")
    got = client.get(f"/api/exchanges/{x}", headers=h("ru/negotiator")).json()
    # Russia counter-proposes two for two: Ukraine's signature of version 1 is stale, the exchange not agreed.
    ok(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 1, "sha256": got["sha256"]},
                   headers=h("ua/negotiator")))
    ok(client.post(f"/api/exchanges/{x}/versions", json={"terms": TERMS}, headers=h("ru/negotiator")))
    got = client.get(f"/api/exchanges/{x}", headers=h("ua/negotiator")).json()
    assert got["version"] == 2 and got["agreed_version"] is None and got["sha256"] == terms_hash(TERMS)
    size = log_size(client, h)
    refused(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 1, "sha256": got["sha256"]},
                        headers=h("ua/negotiator")), 409, "exchange.version_stale")
    refused(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 2, "sha256": "0" * 64},
                        headers=h("ua/negotiator")), 422, "exchange.hash_mismatch")
    refused(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 2, "sha256": got["sha256"]},
                        headers=h("icrc/mediator")), 403, "exchange.party_only")
    # Nothing is planned or handed over before the exchange is agreed.
    refused(client.post(f"/api/exchanges/{x}/plan/compute", json={}, headers=h("icrc/mediator")), 409,
            "exchange.not_agreed")
    assert log_size(client, h) == size
    for who in ("ua/negotiator", "ru/negotiator"):
        ok(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 2, "sha256": got["sha256"]},
                       headers=h(who)))
    assert client.get(f"/api/exchanges/{x}", headers=h("icrc/mediator")).json()["status"] == "agreed"

    ua_held = _ua_prisoners(client, h)
    ok(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": HELD_BY_RU},
                   headers=h("ru/registrar")))
    ok(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": ua_held},
                   headers=h("ua/registrar")))
    ok(client.post(f"/api/exchanges/{x}/lists", json={"direction": "ask_for", "persons": ["ua-azov-0016"]},
                   headers=h("ua/registrar")))
    checks = ok(client.get(f"/api/exchanges/{x}/check", headers=h("icrc/mediator")))["entries"]
    assert len(checks) == 7 and all(c["consent"] == "not_interviewed" for c in checks
                                    if c["direction"] == "hand_over")
    # Consent: each man interviewed; one refuses and is never planned nor handed over.
    for pid in [*HELD_BY_RU, *ua_held]:
        body = {"person": pid, "wants_repatriation": pid != ua_held[2], "interviewed_on": "2022-09-01"}
        if pid == ua_held[2]:
            body["reason"] = "Wishes to stay (test)."
        ok(client.post(f"/api/exchanges/{x}/consent", json=body, headers=h("icrc/mediator")))
    # The solver: two a side; pinning the refusing man cannot be satisfied, and says which constraint fails.
    plan = ok(client.post(f"/api/exchanges/{x}/plan/compute", json={}, headers=h("ua/registrar")))
    assert [len(s["persons"]) for s in plan["stages"]] == [4] and plan["gap"] == 0
    reasons = {r["person"]: r for r in plan["reasons"]}
    assert reasons[ua_held[2]]["code"] == "refused" and reasons[ua_held[2]]["stage"] is None
    r = refused(client.post(f"/api/exchanges/{x}/plan/compute", json={"pinned": [ua_held[2]]},
                            headers=h("ua/registrar")), 422, "exchange.infeasible")
    assert "pinned_ineligible" in r["message"]
    plan = ok(client.post(f"/api/exchanges/{x}/plan/compute", json={"excluded": [HELD_BY_RU[0]]},
                          headers=h("ru/registrar")))
    planned_ru = sorted(p["person"] for p in plan["stages"][0]["persons"] if p["side"] == "ru")
    assert planned_ru == HELD_BY_RU[1:]
    ok(client.post(f"/api/exchanges/{x}/plans", json={"excluded": [HELD_BY_RU[0]]}, headers=h("ru/registrar")))
    # A plan signed by hand that breaks the formula is refused.
    refused(client.post(f"/api/exchanges/{x}/plans", json={"stages": [{"stage": 1, "persons": [
        {"side": "ru", "person": HELD_BY_RU[1]}]}]}, headers=h("ru/registrar")), 422, "exchange.plan_count")

    size = log_size(client, h)
    at = "2022-09-29T08:00:00Z"
    person = HELD_BY_RU[1]
    step = {"stage": 1, "person": person, "at": at}
    # Received before it is handed over; by the wrong side; witnessed by a party: refused.
    refused(client.post(f"/api/exchanges/{x}/handover", json={**step, "step": "received"},
                        headers=h("ua/registrar")), 409, "exchange.step_order")
    refused(client.post(f"/api/exchanges/{x}/handover", json={**step, "step": "handed_over"},
                        headers=h("ua/registrar")), 403, "exchange.wrong_side")
    refused(client.post(f"/api/exchanges/{x}/handover", json={**step, "step": "witnessed"},
                        headers=h("ru/registrar")), 403, "exchange.mediator_only")
    # The man who refused is never handed over.
    refused(client.post(f"/api/exchanges/{x}/handover", json={**step, "person": ua_held[2],
                                                               "step": "handed_over"},
                        headers=h("ua/registrar")), 409, "exchange.refused_person")
    # No act before the handover.
    refused(client.get(f"/api/exchanges/{x}/act?stage=1&sender=ru&lang=en", headers=h("ua/registrar")), 409,
            "exchange.no_handover")
    assert log_size(client, h) == size
    for pid, sender, receiver in ((HELD_BY_RU[1], "ru", "ua"), (HELD_BY_RU[2], "ru", "ua"),
                                  (ua_held[0], "ua", "ru"), (ua_held[1], "ua", "ru")):
        base = {"stage": 1, "person": pid, "at": at, "place": "test point"}
        ok(client.post(f"/api/exchanges/{x}/handover", json={**base, "step": "handed_over"},
                       headers=h(f"{sender}/registrar")))
        if pid != HELD_BY_RU[2]:
            ok(client.post(f"/api/exchanges/{x}/handover", json={**base, "step": "received"},
                           headers=h(f"{receiver}/registrar")))
        ok(client.post(f"/api/exchanges/{x}/handover", json={**base, "step": "witnessed"},
                       headers=h("icrc/mediator"))) if pid != HELD_BY_RU[2] else None
    refused(client.post(f"/api/exchanges/{x}/handover", json={"stage": 1, "person": ua_held[0], "at": at,
                                                               "step": "received"},
                        headers=h("ru/registrar")), 409, "exchange.step_twice")
    # The receiving side names its own record of the man: a different man is refused by the name keys.
    refused(client.post(f"/api/exchanges/{x}/handover", json={"stage": 1, "person": HELD_BY_RU[2], "at": at,
                                                               "step": "received", "as_person": "ua-azov-0001"},
                        headers=h("ua/registrar")), 422, "exchange.identity")
    assert client.get(f"/api/persons/{HELD_BY_RU[1]}", headers=h("ru/registrar")).json()["status"] == "released"
    # Each side's count: categories that do not add up are refused.
    refused(client.post(f"/api/exchanges/{x}/counts", json={
        "sent": {"total": 2, "by_category": {"officer": 1, "soldier": 3}}, "received": {"total": 2}},
        headers=h("ru/negotiator")), 422, "exchange.count_sum")
    # Russia's first count puts a civilian among the two it received; the confirmations show two soldiers (the
    # test's prisoners have no rank): each category's line says so, with the persons that account for it.
    ok(client.post(f"/api/exchanges/{x}/counts", json={"sent": {"total": 2}, "received": {
        "total": 2, "by_category": {"soldier": 1, "civilian": 1}}}, headers=h("ru/negotiator")))
    rec = ok(client.get(f"/api/exchanges/{x}/reconciliation", headers=h("icrc/mediator")))
    ru = {ln["category"]: ln for ln in rec["lines"] if ln["party"] == "ru" and ln["what"] == "received"}
    assert set(ru) == {None, "soldier", "civilian"}
    assert ru[None]["agrees"] is True and ru[None]["tally"] == 2
    assert ru["soldier"]["tally"] == 2 and ru["soldier"]["agrees"] is False
    assert ru["soldier"]["why"] == "stated_fewer" and ru["soldier"]["persons"] == sorted(ua_held[:2])
    assert ru["civilian"]["tally"] == 0 and ru["civilian"]["agrees"] is False and ru["civilian"]["persons"] == []
    # Corrected: the latest count is the one reconciled.
    ok(client.post(f"/api/exchanges/{x}/counts", json={"sent": {"total": 2}, "received": {
        "total": 2, "by_category": {"soldier": 2}}}, headers=h("ru/negotiator")))
    ok(client.post(f"/api/exchanges/{x}/counts", json={"sent": {"total": 2}, "received": {"total": 1}},
                   headers=h("ua/negotiator")))
    rec = ok(client.get(f"/api/exchanges/{x}/reconciliation", headers=h("ua/negotiator")))
    assert [ln["agrees"] for ln in rec["lines"] if ln["party"] == "ru" and ln["category"]] == [True]
    gap = [ln for ln in rec["lines"] if ln["why"] == "handed_over_not_received"]
    assert gap and gap[0]["persons"] == [HELD_BY_RU[2]]
    pdf = client.get(f"/api/exchanges/{x}/act?stage=1&sender=ua&lang=ru", headers=h("ru/registrar"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # Release: not before the mediator declares it completed; then the press of the releasing party reads it.
    refused(client.post(f"/api/exchanges/{x}/release", json={"sent": 2, "received": 1},
                        headers=h("ua/negotiator")), 409, "exchange.not_completed")
    assert client.get(f"/api/exchanges/{x}", headers=h("ua/press")).status_code == 404
    ok(client.post(f"/api/exchanges/{x}/status", json={"status": "completed"}, headers=h("icrc/mediator")))
    ok(client.post(f"/api/exchanges/{x}/release", json={"sent": 2, "received": 1}, headers=h("ua/negotiator")))
    assert x in {r["exchange"] for r in client.get("/api/exchanges/released", headers=h("ua/press")).json()[
        "released"]}
    assert client.get(f"/api/exchanges/{x}", headers=h("ua/press")).status_code == 404


def test_lists_refuse_a_person_held_by_nobody_or_on_another_open_exchange(client, demo):
    h = demo.headers
    x, y = agreed(client, h), agreed(client, h)
    size = log_size(client, h)
    # Released by the demo's exchange: held by nobody now.
    refused(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": ["ru-azov-0003"]},
                        headers=h("ru/registrar")), 422, "exchange.not_held")
    # Ukraine's record of its own missing man is not a person Ukraine holds.
    refused(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": ["ua-azov-0020"]},
                        headers=h("ua/registrar")), 422, "exchange.not_held")
    # A person another side reported, whom the author may not read, is refused as absent.
    refused(client.post(f"/api/exchanges/{x}/lists", json={"direction": "ask_for", "persons": ["ua-azov-0020"]},
                        headers=h("ru/registrar")), 404, "exchange.person_not_found")
    refused(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over",
                                                            "persons": ["ru-azov-0030", "ru-azov-0030"]},
                        headers=h("ru/registrar")), 422, "record.payload_invalid")
    refused(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": ["ru-azov-0030"]},
                        headers=h("icrc/mediator")), 403, "exchange.party_only")
    assert log_size(client, h) == size
    ok(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": ["ru-azov-0030"]},
                   headers=h("ru/registrar")))
    r = refused(client.post(f"/api/exchanges/{y}/lists", json={"direction": "hand_over",
                                                                "persons": ["ru-azov-0030"]},
                            headers=h("ru/registrar")), 409, "exchange.other_exchange")
    assert x in r["message"]
    # Once the first exchange is cancelled, the man may go on another list.
    ok(client.post(f"/api/exchanges/{x}/status", json={"status": "cancelled", "reason": "test"},
                   headers=h("icrc/mediator")))
    ok(client.post(f"/api/exchanges/{y}/lists", json={"direction": "hand_over", "persons": ["ru-azov-0030"]},
                   headers=h("ru/registrar")))


MALFORMED = [
    ({**TERMS, "formula": {"kind": "n_for_n"}}, "exchange.formula_n"),
    ({**TERMS, "stages": [{"number": 1, "size": 1}]}, "exchange.stages_sum"),
    ({**TERMS, "stages": [{"number": 2, "size": 2}]}, "exchange.stages_numbered"),
    ({**TERMS, "formula": {"kind": "all_for_all", "n": 3}}, "exchange.formula_all"),
    ({**TERMS, "stages": [{"number": 1, "size": 2}] * 60}, "too_long"),
    ({**TERMS, "note": "x" * 5000}, "string_too_long"),
]


def test_malformed_terms_are_refused_and_nothing_is_stored(client, demo):
    h = demo.headers
    size = log_size(client, h)
    for terms, code in MALFORMED:
        r = client.post("/api/exchanges", json={"title": "Bad", "parties": ["ua", "ru"], "mediators": ["icrc"],
                                                "terms": terms}, headers=h("icrc/mediator"))
        assert r.status_code == 422, r.text
        assert code in r.text, r.text
    r = client.post("/api/exchanges", json={"title": "Bad", "parties": ["ua", "ua"], "mediators": ["icrc"],
                                            "terms": TERMS}, headers=h("icrc/mediator"))
    assert r.status_code == 422 and "exchange.parties_twice" in r.text
    r = client.post("/api/exchanges", json={"title": "Bad", "parties": ["ua", "icrc"], "mediators": ["un-ocha"],
                                            "terms": TERMS}, headers=h("icrc/mediator"))
    assert r.status_code == 422 and "exchange.not_belligerent" in r.text
    assert log_size(client, h) == size


def test_an_exchange_is_read_only_by_its_parties_and_mediators(client, demo):
    h = demo.headers
    x = agreed(client, h)
    for who in ("ua/press", "ua/liaison", "tr/observer", "un-ocha/liaison"):
        assert client.get(f"/api/exchanges/{x}", headers=h(who)).status_code == 404
        assert client.get(f"/api/exchanges/{x}/check", headers=h(who)).status_code == 404
    for who in ("ua/registrar", "ru/negotiator", "icrc/auditor"):
        assert client.get(f"/api/exchanges/{x}", headers=h(who)).status_code == 200


def test_the_operation_of_transfer_and_the_exchange_name_each_other(client, demo):
    from tests.operations.test_lifecycle import plan
    from tests.web.test_pages import sign_in

    h = demo.headers
    op = ok(client.post("/api/operations", json={"plan": plan(kind="transfer_of_persons",
                                                              title="Handover of prisoners (test)")},
                        headers=h("icrc/mediator")))["operation"]
    evacuation = ok(client.post("/api/operations", json={"plan": plan()}, headers=h("icrc/mediator")))["operation"]
    # Only an operation of transfer carries an exchange.
    refused(client.post("/api/exchanges", json={"title": "T", "parties": ["ua", "ru"], "mediators": ["icrc"],
                                                "terms": {**TERMS, "operation": evacuation}},
                        headers=h("icrc/mediator")), 404, "exchange.operation_not_found")
    x = ok(client.post("/api/exchanges", json={"title": "Exchange carried by an operation", "parties": ["ua", "ru"],
                                                "mediators": ["icrc"], "terms": {**TERMS, "operation": op}},
                       headers=h("icrc/mediator")))["id"]
    assert client.get(f"/api/exchanges/{x}", headers=h("ru/registrar")).json()["operation"] == op
    sign_in(client, demo, "ua/negotiator")
    page = client.get(f"/operations/{op}?lang=en")
    assert page.status_code == 200 and f'href="/exchanges/{x}"' in page.text
    # A reader who may not read the exchange sees no link to it.
    sign_in(client, demo, "ua/liaison")
    page = client.get(f"/operations/{op}?lang=en")
    assert page.status_code == 200 and x not in page.text


def test_a_mixed_exchange_of_persons_and_remains_is_counted_person_by_person_and_body_by_body(client, demo,
                                                                                                runtime):
    """Persons and remains in one exchange: the plan takes the persons, the bodies are handed over by count, and
    each side's count is reconciled in all, per category and for the remains."""
    from parley.exchanges.service import plan_category
    from parley.people.models import Person

    h = demo.headers
    terms = {"kind": "mixed", "formula": {"kind": "n_for_n", "n": 1}, "stages": [{"number": 1, "size": 1}],
             "place": "handover point (test)"}
    x = ok(client.post("/api/exchanges", json={"title": "Mixed (test)", "parties": ["ua", "ru"],
                                                "mediators": ["icrc"], "terms": terms},
                       headers=h("icrc/mediator")))["id"]
    for who in ("ua/negotiator", "ru/negotiator"):
        ok(client.post(f"/api/exchanges/{x}/signoffs", json={"version": 1, "sha256": terms_hash(terms)},
                       headers=h(who)))
    ua_man, ru_man = _ua_prisoners(client, h)[0], "ru-azov-0023"
    ok(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": [ru_man]},
                   headers=h("ru/registrar")))
    ok(client.post(f"/api/exchanges/{x}/lists", json={"direction": "hand_over", "persons": [ua_man]},
                   headers=h("ua/registrar")))
    for pid in (ru_man, ua_man):
        ok(client.post(f"/api/exchanges/{x}/consent", json={"person": pid, "wants_repatriation": True,
                                                             "interviewed_on": "2022-09-01"},
                       headers=h("icrc/mediator")))
    ok(client.post(f"/api/exchanges/{x}/plans", json={}, headers=h("ru/registrar")))
    plan = ok(client.get(f"/api/exchanges/{x}", headers=h("icrc/mediator")))["plan"]
    assert sorted(p["person"] for st in plan["stages"] for p in st["persons"]) == sorted([ru_man, ua_man])
    at = "2022-10-01T08:00:00Z"
    for pid, sender, receiver in ((ru_man, "ru", "ua"), (ua_man, "ua", "ru")):
        base = {"stage": 1, "person": pid, "at": at, "place": "test point"}
        ok(client.post(f"/api/exchanges/{x}/handover", json={**base, "step": "handed_over"},
                       headers=h(f"{sender}/registrar")))
        ok(client.post(f"/api/exchanges/{x}/handover", json={**base, "step": "received"},
                       headers=h(f"{receiver}/registrar")))
    # The bodies: Ukraine hands over two, each tagged; Russia "more than two", a lower bound kept as one.
    ok(client.post(f"/api/exchanges/{x}/remains", json={"stage": 1, "count": 2, "bodies": ["MX-1", "MX-2"],
                                                         "at": at}, headers=h("ua/registrar")))
    ok(client.post(f"/api/exchanges/{x}/remains", json={"stage": 1, "count": {"form": "more_than", "value": 2},
                                                         "at": at}, headers=h("ru/registrar")))
    bodies = ok(client.get(f"/api/exchanges/{x}/bodies", headers=h("ru/registrar")))
    assert sorted(b["tag"] for b in bodies["bodies"]) == ["MX-1", "MX-2"]

    with runtime.sessions() as s:
        p = s.get(Person, ru_man)
        assert p is not None
        ru_cat = "wounded" if p.seriously_wounded else plan_category(p)
    # Ukraine counts one man and two bodies sent; one man and five bodies received (Russia said more than two).
    ok(client.post(f"/api/exchanges/{x}/counts", json={
        "sent": {"total": 3, "by_category": {"soldier": 1, "remains": 2}},
        "received": {"total": 6, "by_category": {ru_cat: 1, "remains": 5}}}, headers=h("ua/negotiator")))
    rec = ok(client.get(f"/api/exchanges/{x}/reconciliation", headers=h("icrc/mediator")))
    ua = {(ln["what"], ln["category"]): ln for ln in rec["lines"] if ln["party"] == "ua"}
    assert ua[("sent", None)]["tally"] == 3 and ua[("sent", None)]["agrees"] is True
    assert ua[("sent", "soldier")]["tally"] == 1 and ua[("sent", "remains")]["tally"] == 2
    # Received: one man confirmed and Russia's "more than two" bodies: at least 3, no upper bound, so Ukraine's five
    # bodies (six in all) agree with it.
    received, remains = ua[("received", None)], ua[("received", "remains")]
    assert (received["tally"], received["tally_high"], received["agrees"]) == (4, None, True)
    assert (remains["tally"], remains["tally_high"], remains["agrees"]) == (3, None, True)
    assert ua[("received", ru_cat)]["agrees"] is True and ua[("received", ru_cat)]["tally_high"] == 1
    # Ukraine's correction to two bodies received is fewer than Russia's "more than two": that line differs.
    ok(client.post(f"/api/exchanges/{x}/counts", json={
        "sent": {"total": 3}, "received": {"total": 3, "by_category": {ru_cat: 1, "remains": 2}}},
        headers=h("ua/negotiator")))
    rec = ok(client.get(f"/api/exchanges/{x}/reconciliation", headers=h("icrc/mediator")))
    ua = {(ln["what"], ln["category"]): ln for ln in rec["lines"] if ln["party"] == "ua"}
    assert ua[("received", "remains")]["agrees"] is False and ua[("received", "remains")]["why"] == "stated_fewer"
    assert ua[("received", None)]["agrees"] is False and ("sent", "remains") not in ua
    # Russia has stated nothing: its lines say so rather than agree.
    assert {ln["agrees"] for ln in rec["lines"] if ln["party"] == "ru"} == {None}
