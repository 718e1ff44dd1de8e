"""Figures a party releases of its own records (``figures.release``), computed from the log and never typed in; the
public side's records, checkpoint and consistency proofs; and a sweep of every public output — pages, feeds, JSON,
CSV, charts — for what must never be there: a person's name in any script, an embargoed statement, an unreleased
exchange, a small cell. Runs on SQLite and PostgreSQL (the sweep on SQLite). Every person is invented."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from parley.log import merkle
from parley.log.note import Verifier
from parley.log.proof import parse_tlog_proof, verify_tlog_proof
from parley.people.models import Inquiry, Person
from parley.spelling import to_latin


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def test_a_party_releases_figures_parley_computed_and_nothing_else(client, demo, runtime):
    h = demo.headers
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    can = ok(client.get("/api/figures/releasable", headers=h("ua/negotiator")))
    assert can["inquiries"]["until"] == yesterday and can["inquiries"]["filed"] >= 2
    assert [r["id"] for r in can["released"]] == ["ua-figures-inquiries-2022-06"]
    # The UN released both of its completed evacuations in the demo: nothing is left to release.
    assert ok(client.get("/api/figures/releasable", headers=h("un-ocha/liaison")))["operations"] == []
    # A press officer drafts statements but does not release figures; Russia's negotiator releases Russia's only.
    assert client.get("/api/figures/releasable", headers=h("ua/press")).status_code == 403
    r = client.post("/api/figures/releases", headers=h("ua/negotiator"),
                    json={"subject": "inquiries", "until": yesterday})
    assert r.status_code == 201, r.text
    body = ok(client.get(f"/api/public/records/{r.json()['index']}"))
    payload = json.loads(body["payload"])
    assert payload["filed"] == can["inquiries"]["filed"] and payload["subject"] == "inquiries"
    figs = ok(client.get("/api/public/figures"))
    row = next(q for q in figs["inquiries"] if q["record"] == r.json()["index"])
    assert row["party"] == "ua" and row["until"] == yesterday
    # The exit from Azovstal is not completed: nothing to release of it.
    r = client.post("/api/figures/releases", headers=h("ua/negotiator"),
                    json={"subject": "operation", "operation": "ua-azovstal-exit"})
    assert r.status_code == 409 and r.json()["code"] == "figures.nothing"


def test_figures_typed_in_or_malformed_are_refused_and_nothing_is_stored(client, demo, runtime):
    h = demo.headers
    before = client.get("/api/public/figures").json()
    forged = {"id": "ua-figures-forged", "subject": "inquiries", "until": "2022-06-30", "filed": 999, "answered": 0,
              "closed": 0}
    cases = [
        ("ua/negotiator", forged, 409, "figures.differ"),
        ("ua/negotiator", {**forged, "id": "ua-figures-inquiries-2022-06", "filed": 2, "answered": 1}, 409,
         "figures.exists"),
        ("ua/press", {**forged, "filed": 2, "answered": 1}, 403, None),
        ("ua/negotiator", {**forged, "until": "2099-01-01"}, 422, "figures.until"),
        ("ua/negotiator", {"id": "ua-figures-x", "subject": "operation", "until": "2022-06-30"}, 422, None),
        ("un-ocha/liaison", {"id": "un-ocha-figures-x", "subject": "operation",
                             "operation": "un-ocha-azovstal-civilians-1",
                             "moved": [{"category": "civilians", "destination": "Zaporizhzhia",
                                        "figure": {"form": "exact", "value": 1270}}]}, 409, "figures.differ"),
    ]
    for member, payload, status, code in cases:
        r = client.post("/api/actions", headers=h(member),
                        json={"kind": "figures.release", "audience": ["all"], "payload": payload})
        assert r.status_code == status, (payload, r.text)
        if code:
            assert r.json()["code"] == code or code in r.text, r.text
    assert client.post("/api/figures/releases", headers=h("ua/negotiator"),
                       json={"subject": "inquiries"}).status_code == 422
    assert client.post("/api/figures/releases", headers=h("ua/negotiator"),
                       json={"subject": "inquiries", "until": "2022-06-30", "filed": 3}).status_code == 422
    assert client.get("/api/public/figures").json() == before


def test_the_public_checks_a_figure_against_the_published_checkpoint(client, runtime):
    figs = ok(client.get("/api/public/figures"))
    vkey = runtime.log_signer.vkey()
    for idx in {r["record"] for r in figs["releases"] + figs["evacuations"] + figs["inquiries"]}:
        rec = ok(client.get(f"/api/public/records/{idx}"))
        cp = verify_tlog_proof(parse_tlog_proof(rec["proof"].encode()), rec["note"].encode(),
                               Verifier.from_vkey(vkey))
        assert rec["log_key"] == vkey and cp.size > idx
    # Any other record is not found, whether it exists or not.
    for idx in (0, 1, 10**9, -1):
        assert client.get(f"/api/public/records/{idx}").status_code in (404, 422)
    note = client.get("/api/public/checkpoint")
    assert note.status_code == 200 and note.text.startswith(runtime.settings.log_origin)
    size = int(note.text.splitlines()[1])
    root = base64.b64decode(note.text.splitlines()[2])
    proof = ok(client.get("/api/public/consistency", params={"old": 10, "new": size}))
    with runtime.sessions() as s:
        from parley.log.store import DbNodes

        old_root = merkle.root_hash(DbNodes(s, runtime.cache), 10)
    merkle.verify_consistency(10, size, [base64.b64decode(x) for x in proof["proof"]], old_root, root)
    assert client.get("/api/public/consistency", params={"old": 5, "new": size + 1}).status_code == 400
    assert client.get("/api/public/consistency", params={"old": 9, "new": 5}).status_code == 400


def _public_outputs(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every public output, as text: pages, feeds, JSON, CSV tables, SVG charts (PNG charts fetched too)."""
    out: dict[str, str] = {}

    def get(path: str) -> str:
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200, (path, r.status_code)
        if r.headers["content-type"].startswith("image/png"):
            assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
            return ""
        out[path] = r.text
        return str(r.text)

    statements = json.loads(get("/api/public/statements"))["statements"]
    for lang in ("uk", "ru", "en"):
        get(f"/public?lang={lang}")
        get(f"/api/public/feed.atom?lang={lang}")
        for st in statements:
            get(f"/public/statements/{st['id']}?lang={lang}")
        for name in ("exchanges", "evacuations", "inquiries"):
            get(f"/public/charts/{name}.svg?lang={lang}")
            get(f"/public/charts/{name}.png?lang={lang}")
    for st in statements:
        get(f"/api/public/statements/{st['id']}")
    figs = json.loads(get("/api/public/figures"))
    for table in ("exchanges", "evacuations", "inquiries"):
        get(f"/api/public/figures.csv?table={table}&hxl=1")
    for idx in {r["record"] for r in figs["releases"] + figs["evacuations"] + figs["inquiries"]}:
        get(f"/api/public/records/{idx}")
    get("/api/public/checkpoint")
    return out


def test_no_public_output_carries_a_name_an_embargo_an_unreleased_exchange_or_a_small_cell(sqlite_client,
                                                                                           sqlite_runtime):
    outputs = _public_outputs(sqlite_client)
    assert len(outputs) > 40
    names: set[str] = set()
    with sqlite_runtime.sessions() as s:
        for p in s.execute(select(Person)).scalars():
            for n in (p.surname, p.first_name, p.patronymic):
                if n and len(n) >= 4:
                    names |= {n, to_latin(n)}
        for i in s.execute(select(Inquiry)).scalars():
            sought = json.loads(i.sought)
            for f in ("surname", "first_name", "patronymic"):
                if len(sought.get(f) or "") >= 4:
                    names |= {sought[f], to_latin(sought[f])}
    assert len(names) > 100
    forbidden = {*names, "Завершення виходу з Азовсталі", "The exit from Azovstal completed",
                 "icrc-remains-zaporizhzhia"}
    found = {(path, word) for path, text in outputs.items() for word in forbidden if word in text}
    assert not found, sorted(found)[:20]
    # The only released inquiry figures are two filed and one answered: shown as "fewer than 5", never as the count.
    figs = json.loads(outputs["/api/public/figures"])
    demo_row = next(q for q in figs["inquiries"] if q["record"] and q["until"] == "2022-06-30")
    assert demo_row["filed"] == {"fewer_than": 5} and demo_row["answered"] == {"fewer_than": 5}
    assert ",ua,<5,<5,0," in outputs["/api/public/figures.csv?table=inquiries&hxl=1"]
