"""Standing channels through the web: opening one with its designated members (errors beside the field), its page,
posting, reading (a signed receipt when a designated member opens the page), and nothing for a non-reader."""

from __future__ import annotations

import re

from sqlalchemy import select

from parley.operations.models import ChannelReceipt, StandingChannel
from tests.web.test_operations_pages import as_member
from tests.web.test_pages import csrf, sign_in


def test_open_post_and_read_a_standing_channel(client, demo, runtime):
    sign_in(client, demo, "icrc/mediator")
    page = client.get("/channels")
    assert page.status_code == 200 and 'id="open-channel"' in page.text
    form = {"csrf": csrf(client, "/channels"), "title": "Liaison line for the corridors", "parties": ["ua", "ru"],
            "members": ["ua/liaison"], "mediator": "icrc", "urgent_read_minutes": "30"}
    r = client.post("/channels", data=form)
    assert r.status_code == 400 and 'class="error"' in r.text  # Russia has no designated member
    assert "Liaison line for the corridors" in r.text  # the values are kept
    r = client.post("/channels", data={**form, "urgent_read_minutes": "half an hour"})
    assert r.status_code == 400 and 'id="urgent_read_minutes-error"' in r.text
    r = client.post("/channels", data={**form, "members": ["ua/liaison", "ru/liaison"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cid = r.headers["location"].rsplit("/", 1)[1]
    with runtime.sessions() as s:
        assert s.get(StandingChannel, cid).member_list == ["ua/liaison", "ru/liaison"]
    as_member(client, demo, "ua/liaison")
    r = client.post(f"/channels/{cid}/messages", data={"csrf": csrf(client, f"/channels/{cid}"),
                                                       "text": "Convoy waits at the bridge", "urgent": "1"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    r = client.post(f"/channels/{cid}/messages", data={"csrf": csrf(client, f"/channels/{cid}"), "text": ""})
    assert r.status_code == 400 and 'id="channel-text-error"' in r.text
    # Russia's designated member opens the page: the message is read for Russia, by a signed receipt.
    as_member(client, demo, "ru/liaison")
    page = client.get(f"/channels/{cid}")
    assert "Convoy waits at the bridge" in page.text
    with runtime.sessions() as s:
        got = {(r.party, r.state, r.member) for r in s.execute(select(ChannelReceipt)).scalars()}
    assert ("ru", "read", "ru/liaison") in got
    # Russia's negotiator is not designated: reading the page gives no receipt and no form.
    as_member(client, demo, "ru/negotiator")
    page = client.get(f"/channels/{cid}")
    assert page.status_code == 200 and 'id="channel-form"' not in page.text
    listing = client.get("/channels").text
    assert re.search(rf'href="/channels/{cid}"', listing)
    # The observer reads nothing of it.
    as_member(client, demo, "tr/observer")
    assert client.get(f"/channels/{cid}").status_code == 404
    assert cid not in client.get("/channels").text
