"""When we may ring or text her: a call inside the free times she gave (and, for a live call, the
recruiter's working hours outside the recruiter's meetings), and either never outside
her waking hours (``earliest`` to ``latest`` on her clock; the settings say which, 08:00 to 21:00
by default).

Pure: the caller passes ``now``. Wall-clock bounds are built per local day with ``zoneinfo``, so a
DST change moves them with her clocks (08:00 is 07:00 UTC in London's summer, 08:00 in winter).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.fields import Interval


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


def overlap(windows: Iterable[Interval], spans: Iterable[Interval]) -> list[Interval]:
    """The parts of ``windows`` inside one of ``spans`` (her call times within the recruiter's hours)."""
    spans = list(spans)
    found = []
    for window in windows:
        for span in spans:
            start, end = max(window.start, span.start), min(window.end, span.end)
            if start < end:
                found.append(Interval(start=start, end=end))
    return sorted(found, key=lambda w: w.start)


def outside(windows: Iterable[Interval], busy: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    """``windows`` with every busy span cut out (the recruiter's meetings)."""
    free = list(windows)
    for busy_start, busy_end in busy:
        cut = []
        for window in free:
            if busy_end <= window.start or busy_start >= window.end:
                cut.append(window)
                continue
            if window.start < busy_start:
                cut.append(Interval(start=window.start, end=busy_start))
            if busy_end < window.end:
                cut.append(Interval(start=busy_end, end=window.end))
        free = cut
    return free
