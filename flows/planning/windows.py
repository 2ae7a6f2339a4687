"""When we may ring or text her: a call inside the free times she gave, and either never outside
her waking hours (``earliest`` to ``latest`` on her clock; the settings say which, 08:00 to 21:00
by default).

Pure: the caller passes ``now``. Wall-clock bounds are built per local day with ``zoneinfo``, so a
DST change moves them with her clocks (08:00 is 07:00 UTC in London's summer, 08:00 in winter).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.round import Interval


def _local(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day.date(), at, tzinfo=zone)


def next_call_time(
    now: datetime, windows: Iterable[Interval], zone_name: str, *, earliest: time, latest: time
) -> datetime | None:
    """The first moment at or after ``now`` that is inside one of ``windows`` and inside her
    waking hours; None when every window has passed."""
    zone = ZoneInfo(zone_name)
    for window in sorted(windows, key=lambda w: w.start):
        moment = max(window.start, now)
        while moment < window.end:
            local = moment.astimezone(zone)
            opens, closes = _local(local, earliest, zone), _local(local, latest, zone)
            if local < opens:
                moment = opens
            elif local >= closes:
                moment = _local(local + timedelta(days=1), earliest, zone)
            else:
                return moment.astimezone(now.tzinfo)
    return None


def next_waking_time(now: datetime, zone_name: str, *, earliest: time, latest: time) -> datetime:
    """``now`` if it is inside her waking hours, else the start of her next morning."""
    always = Interval(start=now, end=now + timedelta(days=2))
    found = next_call_time(now, [always], zone_name, earliest=earliest, latest=latest)
    assert found is not None  # a two-day window always holds a waking hour
    return found
