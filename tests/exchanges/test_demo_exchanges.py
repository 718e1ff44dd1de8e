"""The demo's exchanges over the API, on both databases: the "50 to 50" remains exchange with its bodies in
identification states, and the invented prisoner exchange with its refusal, its man found under a Russian
spelling, its counts that differ and who accounts for it, its embargo and its act of transfer."""

from __future__ import annotations

import io
from typing import Any

from parley.exchanges.scenario import POWS, REFUSES, REMAINS


def get(client: Any, h: Any, who: str, url: str) -> Any:
    r = client.get(url, headers=h(who))
    assert r.status_code == 200, r.text
    return r.json()


def test_the_remains_exchange_keeps_its_formula_and_each_body_state(client, demo):
    h = demo.headers
    x = get(client, h, "ua/negotiator", f"/api/exchanges/{REMAINS}")
    assert x["status"] == "completed" and x["formula"] == "50 for 50" and x["agreed_version"] == 1
    b = get(client, h, "ru/registrar", f"/api/exchanges/{REMAINS}/bodies")
    assert [r["count"]["value"] for r in b["remains"]] == [50, 50] and len(b["bodies"]) == 100
    states = {x["tag"]: x["state"] for x in b["bodies"]}
    assert states["RU-B-001"] == "preliminary" and states["RU-B-006"] == "dna_sampled"
    assert states["RU-B-005"] == "identified" and states["UA-B-001"] == "unidentified"
    assert next(x for x in b["bodies"] if x["tag"] == "RU-B-005")["person"] == "ua-azov-0024"
    # The registry's missing man identified: his status follows the exchange's record.
    p = get(client, h, "ua/registrar", "/api/persons/ua-azov-0024")
    assert p["status"] == "remains_returned"
    rec = get(client, h, "icrc/mediator", f"/api/exchanges/{REMAINS}/reconciliation?stage=1")
    assert all(line["agrees"] for line in rec["lines"]) and {line["tally"] for line in rec["lines"]} == {50}


def test_the_prisoner_exchange_as_each_side_and_the_mediator_read_it(client, demo):
    h = demo.headers
    x = get(client, h, "ru/negotiator", f"/api/exchanges/{POWS}")
    assert x["version"] == 2 and x["agreed_version"] == 2 and x["status"] == "completed"
    assert [(s["version"], s["party"]) for s in x["signoffs"]] == [(1, "ru"), (2, "ua"), (2, "ru")]
    # Russia's list changed between versions: one man out, one in.
    d = get(client, h, "ua/registrar", f"/api/exchanges/{POWS}/lists/diff?side=ru&direction=hand_over&old=1&new=2")
    assert d["removed"] == ["ru-azov-0011"] and d["added"] == ["ru-azov-0013"] and d["kept"] == 11
    # The check: the mediator reads every record; Ukraine's man written only in Russian is found on its list.
    entries = get(client, h, "icrc/mediator", f"/api/exchanges/{POWS}/check")["entries"]
    asks = {e["person"]["id"]: e for e in entries if e["side"] == "ua" and e["direction"] == "ask_for"}
    print({k: (v["result"], v["counterpart"] and v["counterpart"]["id"], v["probability"]) for k, v in asks.items()})
    assert asks["ua-azov-0001"]["result"] == "released"  # repatriated by this very exchange
    # Ukraine's men written in Ukrainian, found among Russia's prisoners written in Russian, with the probability.
    found = {k: v for k, v in asks.items() if v["result"] == "found"}
    assert found and all(v["counterpart"]["id"] == k.replace("ua-", "ru-") for k, v in found.items())
    assert all(v["probability"] >= 0.9 for v in found.values())
    # The refusal: the holding party and the mediator read why; the other side only that he stays.
    held = {e["person"]["id"]: e for e in get(client, h, "ua/registrar", f"/api/exchanges/{POWS}/check")["entries"]
            if e["direction"] == "hand_over"}
    assert held[REFUSES]["consent"] == "refused" and "prosecution" in held[REFUSES]["reason"]
    other = {e["person"]["id"]: e for e in get(client, h, "ru/registrar", f"/api/exchanges/{POWS}/check")["entries"]
             if e["direction"] == "hand_over"}
    assert other[REFUSES]["consent"] == "refused" and other[REFUSES]["reason"] is None
    # The plan: ten a side, the refusing man out, Russia's seriously wounded in.
    plan = x["plan"]["stages"][0]["persons"]
    assert sum(p["side"] == "ru" for p in plan) == 10 and sum(p["side"] == "ua" for p in plan) == 10
    assert REFUSES not in {p["person"] for p in plan} and "ru-azov-0001" in {p["person"] for p in plan}
    # The handover board: every man confirmed by both sides and the mediator but one.
    board = get(client, h, "ua/negotiator", f"/api/exchanges/{POWS}/handover")["persons"]
    open_ = [b["person"]["id"] for b in board if not b["complete"]]
    assert open_ == ["ru-azov-0009"]
    # The registry follows: released on the holder's record, repatriated on the receiver's own.
    assert get(client, h, "ua/registrar", "/api/persons/ru-azov-0003")["status"] == "released"
    assert get(client, h, "ua/registrar", "/api/persons/ua-azov-0003")["status"] == "repatriated"
    # Each side's count: Russia sent ten, Ukraine received nine; the reconciliation names the man.
    rec = get(client, h, "ru/negotiator", f"/api/exchanges/{POWS}/reconciliation")
    ua_received = next(ln for ln in rec["lines"] if ln["party"] == "ua" and ln["what"] == "received")
    assert ua_received["tally"] == 9 and ua_received["agrees"] is True
    ru_sent = next(ln for ln in rec["lines"] if ln["party"] == "ru" and ln["what"] == "sent")
    assert ru_sent["tally"] == 10 and ru_sent["agrees"] is True
    diff = [ln for ln in rec["lines"] if ln["why"] == "handed_over_not_received"]
    assert diff and diff[0]["persons"] == ["ru-azov-0009"]


def test_the_act_of_transfer_prints_both_spellings_and_each_confirming_record(client, demo, runtime):
    import pypdf
    from sqlalchemy import select

    from parley.log.models import LogEntry

    h = demo.headers
    r = client.get(f"/api/exchanges/{POWS}/act?stage=1&sender=ru&lang=uk", headers=h("ua/registrar"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(r.content)).pages)
    flat = "".join(text.split())
    assert "Акт" in text and "Act of transfer" not in text
    board = get(client, h, "ua/registrar", f"/api/exchanges/{POWS}/handover")["persons"]
    done = [b for b in board if b["side"] == "ru" and b["complete"]]
    assert len(done) == 9
    # Each man as each side wrote him: Russia's record in Russian forms, Ukraine's own in Ukrainian ones.
    differ = [b for b in done if b["as_person"] and (b["person"]["first_name"], b["person"]["surname"]) != (
        b["as_person"]["first_name"], b["as_person"]["surname"])]
    assert differ
    for b in differ:
        for f in ("surname", "first_name"):
            assert b["person"][f] in text and b["as_person"][f] in text
    # And the hash of the record that confirmed him, which anyone can look up in the log.
    with runtime.sessions() as s:
        hashes = dict(s.execute(select(LogEntry.idx, LogEntry.record_hash).where(
            LogEntry.idx.in_([b["steps"]["witnessed"]["record"] for b in done]))).all())
    assert len(hashes) == 9 and all(digest in flat for digest in hashes.values())
    # The man whose receipt is not confirmed is not in the act.
    assert "ru-azov-0009" not in text
    # The remains act counts bodies.
    r = client.get(f"/api/exchanges/{REMAINS}/act?stage=1&sender=ru&lang=en", headers=h("ua/registrar"))
    assert r.status_code == 200
    assert "50" in "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(r.content)).pages)


def test_the_embargo_keeps_press_out_until_a_party_releases(client, demo):
    h = demo.headers
    for who in ("ua/press", "ua/liaison", "ru/liaison", "un-ocha/liaison", "tr/observer"):
        assert client.get(f"/api/exchanges/{POWS}", headers=h(who)).status_code == 404
        assert client.get(f"/api/exchanges/{REMAINS}/bodies", headers=h(who)).status_code == 404
        assert get(client, h, who, "/api/exchanges")["exchanges"] == []
    # Ukraine released the prisoner exchange: its press officers read its figures, no names.
    rel = get(client, h, "ua/press", "/api/exchanges/released")["released"]
    assert [(r["exchange"], r["figures"]["received"]["value"]) for r in rel] == [(POWS, 9)]
    assert "ru-azov" not in str(rel)
    # The remains exchange is not released: nothing of it.
    assert REMAINS not in str(rel)
