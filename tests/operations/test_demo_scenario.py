"""The demo reconstructs the Azovstal operations from the seed reports, each side's figures apart."""

from __future__ import annotations


def test_azovstal_operations_with_each_sides_figures(client, demo):
    h = demo.headers("ua/registrar")
    ops = {o["id"]: o for o in client.get("/api/operations", headers=h).json()["operations"]}
    assert {i: o["status"] for i, o in ops.items()} == {
        "un-ocha-azovstal-civilians-1": "completed", "un-ocha-azovstal-civilians-2": "completed",
        "ua-azovstal-exit": "completed"}
    wounded = client.get("/api/operations/ua-azovstal-exit", headers=h).json()
    rows = {(r["category"], r["destination"]): r for r in wounded["outcomes"]["rows"]}
    # Seed 004: 53 seriously wounded to Novoazovsk and 211 to Olenivka (Ukraine); Russia announced 265,
    # 51 of them seriously wounded. Both counts are kept and the difference shows.
    assert rows[("wounded", "Novoazovsk")]["figures"] == {"ru": 51, "ua": 53}
    assert rows[("servicemen", "Olenivka")]["figures"] == {"ru": 214, "ua": 211}
    assert all(r["differ"] for r in rows.values())
    assert wounded["outcomes"]["totals"] == {"ru": 265, "ua": 264}
    assert wounded["time_zone"] == "Europe/Kyiv"
    # The corridor crosses the mediator's zone of active hostilities around Mariupol.
    assert [c["id"] for c in wounded["conflicts"]["conflicts"]] == ["icrc-mariupol-hostilities"]
    incidents = client.get("/api/incidents", headers=h).json()["incidents"]
    assert [(g[0]["type"], g[0]["at"][:10]) for g in incidents] == [("shelling", "2022-05-08")]
    chan = client.get("/api/operations/ua-azovstal-exit/channel", headers=h).json()["messages"]
    assert chan[0]["urgent"] and set(chan[0]["receipts"]) == {"ru", "ua"}
