"""Slot choice: a pure function, no I/O.

The first start (on a half-hour grid) that lies in one of the candidate's interview free times,
on a day of the plan in the round's zone, with every panel member free (buffer included) and a
free room large enough. Issue 5 brings the round-level planner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from config.round import Candidate, RoundDetails
from flows.models import Slot

Intervals = Sequence[tuple[datetime, datetime]]
GRID = timedelta(minutes=30)


def panel_calendar(staff_id: str) -> str:
    return f"staff:{staff_id}"


def room_calendar(room_id: str) -> str:
    return f"room:{room_id}"


def _free(busy: Intervals, start: datetime, end: datetime) -> bool:
    return all(not (b_start < end and b_end > start) for b_start, b_end in busy)


def _grid_starts(start: datetime, end: datetime, length: timedelta) -> Iterable[datetime]:
    first = start + (-(start - datetime.min.replace(tzinfo=start.tzinfo)) % GRID)
    while first + length <= end:
        yield first
        first += GRID


def choose_slot(
    round_: RoundDetails, candidate: Candidate, busy: Mapping[str, Intervals], *, exclude: Sequence[Slot] = ()
) -> Slot | None:
    zone = ZoneInfo(round_.time_zone)
    plan = round_.plan
    rooms = sorted((r for r in round_.rooms if r.capacity >= plan.room_capacity), key=lambda r: r.capacity)
    for window in sorted(candidate.interview_times, key=lambda w: w.start):
        for start in _grid_starts(window.start, window.end, plan.duration):
            end = start + plan.duration
            if not plan.dates.start <= start.astimezone(zone).date() <= plan.dates.end:
                continue
            if any(s.start < end and s.end > start for s in exclude):
                continue
            padded = (start - plan.buffer, end + plan.buffer)
            if not all(_free(busy.get(panel_calendar(p), ()), *padded) for p in plan.panel):
                continue
            room = next((r for r in rooms if _free(busy.get(room_calendar(r.id), ()), *padded)), None)
            if room is not None:
                return Slot(start=start, end=end, room_id=room.id)
    return None


def search_window(round_: RoundDetails) -> tuple[datetime, datetime]:
    """The UTC span in which any slot of this round can lie (for the busy query)."""
    zone = ZoneInfo(round_.time_zone)
    first = datetime.combine(round_.plan.dates.start, datetime.min.time(), zone) - timedelta(days=1)
    last = datetime.combine(round_.plan.dates.end, datetime.min.time(), zone) + timedelta(days=2)
    return first.astimezone(ZoneInfo("UTC")), last.astimezone(ZoneInfo("UTC"))
