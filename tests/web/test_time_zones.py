"""Every time zone a form offers is one the server can read (a wrong name would refuse the plan it was
offered for)."""

from __future__ import annotations

import zoneinfo

from parley.web.operations.common import TIME_ZONES


def test_every_offered_time_zone_exists():
    for name in TIME_ZONES:
        assert zoneinfo.ZoneInfo(name).key == name
