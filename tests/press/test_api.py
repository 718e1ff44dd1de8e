"""Statements over the API on both databases: drafted by a press officer, released only when a second member with
authority approves the exact version, embargoed until an event, withdrawn or corrected by later records; the public
reads a released statement (JSON, Atom, its bundle with proofs) and nothing else, without an account."""

from __future__ import annotations

from typing import Any
from defusedxml import ElementTree as ET

from parley.press.kinds import text_hash


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.json().get("code") == code, r.text
    return dict(r.json())


def log_size(client: Any, h: Any) -> int:
    return int(client.get("/log/checkpoint", headers=h("icrc/auditor")).text.splitlines()[1])


TEXT = {"texts": {"uk": {"title": "Тестова заява", "body": "Текст тестової заяви про гуманітарний коридор."},
                  "en": {"title": "Test statement", "body": "The text of a test statement on a corridor."}}}


def public_ids(client: Any) -> set[str]:
    return {st["id"] for st in ok(client.get("/api/public/statements"))["statements"]}


def test_a_statement_is_released_only_when_a_second_member_approves_that_exact_version(client, demo):
    h = demo.headers
    sid = ok(client.post("/api/statements", json=TEXT, headers=h("ua/press")))["id"]
    assert sid.startswith("ua-statement-")
    # Nobody outside the party reads a draft; the public sees nothing.
    assert client.get(f"/api/statements/{sid}", headers=h("ru/negotiator")).status_code == 404
    assert client.get(f"/api/statements/{sid}", headers=h("icrc/mediator")).status_code == 404
    assert sid not in public_ids(client)
    assert client.get(f"/api/public/statements/{sid}").status_code == 404
    mine = ok(client.get(f"/api/statements/{sid}", headers=h("ua/negotiator")))
    assert mine["state"] == "draft" and mine["sha256"] == text_hash({"statement": sid, "version": 1, **TEXT})
    size = log_size(client, h)
    # A press officer does not approve; a stale or altered hash is refused.
    refused(client.post(f"/api/statements/{sid}/approvals", json={"version": 1, "sha256": mine["sha256"]},
                        headers=h("ua/press")), 403, "record.role_may_not_write")
    refused(client.post(f"/api/statements/{sid}/approvals", json={"version": 1, "sha256": "0" * 64},
                        headers=h("ua/negotiator")), 422, "statement.hash_mismatch")
    # A second version, by the negotiator: the approval of version 1 is stale, and its author may not approve it.
    revised = {"texts": {**TEXT["texts"], "ru": {"title": "Тестовое заявление", "body": "Текст заявления."}}}
    ok(client.post(f"/api/statements/{sid}/versions", json=revised, headers=h("ua/negotiator")))
    refused(client.post(f"/api/statements/{sid}/approvals", json={"version": 1, "sha256": mine["sha256"]},
                        headers=h("ua/admin")), 409, "statement.version_stale")
    v2 = ok(client.get(f"/api/statements/{sid}", headers=h("ua/admin")))
    refused(client.post(f"/api/statements/{sid}/approvals", json={"version": 2, "sha256": v2["sha256"]},
                        headers=h("ua/negotiator")), 403, "statement.own_draft")
    # Another party's negotiator is told there is no such statement.
    refused(client.post(f"/api/statements/{sid}/approvals", json={"version": 2, "sha256": v2["sha256"]},
                        headers=h("ru/negotiator")), 404, "statement.not_found")
    assert log_size(client, h) == size + 1  # only the second version was stored
    ok(client.post(f"/api/statements/{sid}/approvals", json={"version": 2, "sha256": v2["sha256"]},
                   headers=h("ua/admin")))
    # Released: anyone reads it, in each of its languages, with its records' indices.
    public = {st["id"]: st for st in ok(client.get("/api/public/statements"))["statements"]}
    assert public[sid]["state"] == "released" and set(public[sid]["text"]["texts"]) == {"uk", "ru", "en"}
    assert client.get(f"/api/statements/{sid}", headers=h("ru/liaison")).json()["state"] == "released"
    feed = ET.fromstring(client.get("/api/public/feed.atom?lang=uk").content)
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Тестова заява" in titles
    # The bundle: the version approved and its approval, each with a proof; approved by someone else than its author.
    b = ok(client.get(f"/api/public/statements/{sid}"))
    assert [r["kind"] for r in b["records"]] == ["statement.draft", "statement.approve"]
    assert b["records"][0]["author"] == "ua/negotiator" and b["records"][1]["author"] == "ua/admin"
    assert all(f"\nindex {r['index']}\n" in r["proof"] for r in b["records"])
    # Approved: no new version, no second approval; a withdrawal keeps it visible, marked.
    refused(client.post(f"/api/statements/{sid}/versions", json=TEXT, headers=h("ua/press")), 409,
            "statement.approved")
    refused(client.post(f"/api/statements/{sid}/withdrawals", json={"reason": "Superseded (test)."},
                        headers=h("ua/press")), 403, "record.role_may_not_write")
    ok(client.post(f"/api/statements/{sid}/withdrawals", json={"reason": "Superseded (test)."},
                   headers=h("ua/admin")))
    public = {st["id"]: st for st in ok(client.get("/api/public/statements"))["statements"]}
    assert public[sid]["state"] == "withdrawn_after_release"
    assert public[sid]["withdrawn"]["reason"] == "Superseded (test)."
    assert [r["kind"] for r in ok(client.get(f"/api/public/statements/{sid}"))["records"]] == [
        "statement.draft", "statement.approve", "statement.withdraw"]


def test_an_embargoed_statement_is_released_when_its_exchange_is_completed(client, demo):
    h = demo.headers
    from tests.exchanges.test_api import agreed

    x = agreed(client, h)
    text = {**TEXT, "references": [{"object": "exchange", "id": x}], "embargo": {"exchange": x}}
    # The press officer does not read the exchange (it is embargoed): a negotiator names it.
    refused(client.post("/api/statements", json=text, headers=h("ua/press")), 404, "statement.object_not_found")
    sid = ok(client.post("/api/statements", json=text, headers=h("ua/negotiator")))["id"]
    v = ok(client.get(f"/api/statements/{sid}", headers=h("ua/negotiator")))
    ok(client.post(f"/api/statements/{sid}/approvals", json={"version": 1, "sha256": v["sha256"]},
                   headers=h("ua/admin")))
    v = ok(client.get(f"/api/statements/{sid}", headers=h("ua/negotiator")))
    assert v["state"] == "approved" and v["waiting_for"] == f"until exchange {x} is completed"
    # Embargoed: not public, not to the other side, not in the feed, no bundle.
    assert sid not in public_ids(client)
    assert client.get(f"/api/statements/{sid}", headers=h("ru/negotiator")).status_code == 404
    assert b"Test statement" not in client.get("/api/public/feed.atom").content
    assert client.get(f"/api/public/statements/{sid}").status_code == 404
    # The mediator completes the exchange: the embargo lifts by itself.
    ok(client.post(f"/api/exchanges/{x}/status", json={"status": "suspended"}, headers=h("icrc/mediator")))
    assert sid not in public_ids(client)
    ok(client.post(f"/api/exchanges/{x}/status", json={"status": "completed"}, headers=h("icrc/mediator")))
    assert sid in public_ids(client)
    b = ok(client.get(f"/api/public/statements/{sid}"))
    assert b["state"] == "released" and b["text"]["embargo"] == {"exchange": x}


def test_a_correction_names_the_statement_it_corrects_and_both_stay_visible(client, demo):
    h = demo.headers

    def release(text: dict[str, Any]) -> str:
        sid = ok(client.post("/api/statements", json=text, headers=h("ru/admin")))["id"]
        v = ok(client.get(f"/api/statements/{sid}", headers=h("ru/negotiator")))
        ok(client.post(f"/api/statements/{sid}/approvals", json={"version": 1, "sha256": v["sha256"]},
                       headers=h("ru/negotiator")))
        return sid

    first = release({"texts": {"ru": {"title": "Заявление (тест)", "body": "Передано 10 человек."}}})
    # Only a released statement of one's own party can be corrected.
    refused(client.post("/api/statements", json={**TEXT, "corrects": "ua-statement-none"},
                        headers=h("ru/admin")), 422, "statement.corrects")
    second = release({"texts": {"ru": {"title": "Уточнение (тест)", "body": "Передано 9 человек."}},
                      "corrects": first})
    public = {st["id"]: st for st in ok(client.get("/api/public/statements?party=ru"))["statements"]}
    assert public[first]["corrected_by"] == [second] and public[second]["text"]["corrects"] == first


def test_malformed_and_hostile_statements_are_refused_and_nothing_is_stored(client, demo):
    h = demo.headers
    size = log_size(client, h)
    refused(client.post("/api/statements", json={"texts": {}}, headers=h("ua/press")), 422, "record.payload_invalid")
    refused(client.post("/api/statements", json={"texts": {"de": {"title": "x", "body": "y"}}},
                        headers=h("ua/press")), 422, "record.payload_invalid")
    refused(client.post("/api/statements", json={**TEXT, "embargo": {"until": "2020-01-01T00:00:00Z"}},
                        headers=h("ua/press")), 422, "statement.embargo_past")
    r = refused(client.post("/api/statements", json={**TEXT, "embargo": {"until": "2030-01-01T00:00:00Z",
                                                                          "exchange": "x"}},
                            headers=h("ua/press")), 422, "record.payload_invalid")
    assert r["params"]["reason"] == "statement.embargo_one"
    refused(client.post("/api/statements", json={**TEXT, "references": [{"object": "exchange", "id": "nope"}]},
                        headers=h("ua/press")), 404, "statement.object_not_found")
    refused(client.post("/api/statements", json={"texts": {"en": {"title": "x" * 201, "body": "y"}}},
                        headers=h("ua/press")), 422, "record.payload_invalid")
    # Registrars and liaison officers do not write statements.
    refused(client.post("/api/statements", json=TEXT, headers=h("ua/registrar")), 403, "record.role_may_not_write")
    assert log_size(client, h) == size
    # Nothing for the public to read of what is not released, by any path.
    assert client.get("/api/public/statements/ua-statement-none").status_code == 404
    assert client.get("/api/public/feed.atom?lang=de").status_code == 422


def test_public_figures_are_what_the_parties_released_each_side_apart_small_cells_hidden(client, demo):
    from tests.exchanges.test_api import agreed

    h = demo.headers
    # The demo: Ukraine released the ten-for-ten (sent 10, received 9); Russia released nothing.
    figs = ok(client.get("/api/public/figures"))
    demo_rows = [r for r in figs["releases"] if r["exchange"] == "icrc-pow-exchange-demo"]
    assert [(r["party"], r["sent"], r["received"]) for r in demo_rows] == [
        ("ua", {"form": "exact", "value": 10}, {"form": "exact", "value": 9})]
    assert figs["compared"] == [] and figs["suppressed_below"] == 5
    # An exchange not yet completed is in no figure; once completed, each side's release, the small ones hidden.
    x = agreed(client, h)
    assert x not in {r["exchange"] for r in ok(client.get("/api/public/figures"))["releases"]}
    ok(client.post(f"/api/exchanges/{x}/status", json={"status": "suspended"}, headers=h("icrc/mediator")))
    ok(client.post(f"/api/exchanges/{x}/status", json={"status": "completed"}, headers=h("icrc/mediator")))
    ok(client.post(f"/api/exchanges/{x}/release", json={"sent": 3, "received": 12}, headers=h("ua/negotiator")))
    ok(client.post(f"/api/exchanges/{x}/release", json={"sent": {"form": "more_than", "value": 10},
                                                         "received": 0}, headers=h("ru/negotiator")))
    figs = ok(client.get("/api/public/figures"))
    mine = {r["party"]: r for r in figs["releases"] if r["exchange"] == x}
    assert mine["ua"]["sent"] == {"fewer_than": 5} and mine["ua"]["received"] == {"form": "exact", "value": 12}
    assert mine["ru"]["sent"] == {"form": "more_than", "value": 10} and mine["ru"]["received"] == {
        "form": "exact", "value": 0}
    compared = {c["sender"]: c for c in figs["compared"] if c["exchange"] == x}
    assert compared["ru"]["agree"] is True  # more than 10 sent, 12 received
    assert compared["ua"]["agree"] is False and compared["ua"]["sent"] == {"fewer_than": 5}  # 3 against 0
    text = client.get("/api/public/figures.csv?hxl=1").text
    lines = text.splitlines()
    assert lines[0] == "released_at,party,exchange,kind,sent,received,record"
    assert lines[1].startswith("#date+released,#org+party")
    assert any(f",ua,{x},prisoners,<5,12," in ln for ln in lines) and not any(",3," in ln for ln in lines
                                                                                if x in ln)
    assert client.get("/api/public/figures.csv").text.splitlines()[1][0] != "#"
    # The release itself is a public record: anyone reads it with its proof; the exchange stays closed.
    assert client.get(f"/api/exchanges/{x}", headers=h("ua/press")).status_code == 404
