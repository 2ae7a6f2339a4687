"""Slot choice: a pure function, no I/O.

``plan_round`` seats every candidate of a round at once (``flows/planning/planner.py``); the
candidate's run holds that slot if it is still free. Otherwise ``choose_slot`` takes the first
start (on a half-hour grid) that lies in one of her interview free times, with every panel
member free (buffer included) and a free room large enough. Either way the whole interview lies
inside the office hours on the venue's clock (``plan.hours``: open days, first start, last end,
closed dates) and within the plan's dates: ``fits`` says so for any slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from config.checks import open_days
from config.round import Candidate, RoundDetails
from flows.planning.model import Need, Problem, Slot
from flows.planning.planner import plan

Intervals = Sequence[tuple[datetime, datetime]]
GRID = timedelta(minutes=30)


def panel_calendar(staff_id: str) -> str:
    return f"staff:{staff_id}"


def room_calendar(room_id: str) -> str:
    return f"room:{room_id}"


def round_calendars(round_: RoundDetails) -> list[str]:
    """The calendars a slot of this round depends on: the panel's and every room's."""
    return [panel_calendar(p) for p in round_.plan.panel] + [room_calendar(r.id) for r in round_.rooms]


def hold_order(refs: dict[str, str], needed: list[str]) -> list[str]:
    """The calendars a slot needs, in the one order every run takes them: by the calendar's own
    reference, which two rounds naming the same calendar agree on.

    Two runs racing for overlapping times both need the calendars they share; taking them in
    one order, and giving up at the first one taken, the run that gets the first shared
    calendar meets no hold of the other's later on: the other stopped there, holding only
    calendars the winner does not need. So exactly one of them wins (``tests/test_hold_order.py``
    checks every interleaving).
    """
    return sorted(needed, key=lambda key: (refs[key], key))


def _free(busy: Intervals, start: datetime, end: datetime) -> bool:
    return all(not (b_start < end and b_end > start) for b_start, b_end in busy)


def _grid_starts(start: datetime, end: datetime, length: timedelta) -> Iterable[datetime]:
    first = start + (-(start - datetime.min.replace(tzinfo=start.tzinfo)) % GRID)
    while first + length <= end:
        yield first
        first += GRID


def is_free(round_: RoundDetails, slot: Slot, busy: Mapping[str, Intervals]) -> bool:
    """The panel and the slot's room are still free around it (buffer included)."""
    padded = (slot.start - round_.plan.buffer, slot.end + round_.plan.buffer)
    calendars = [panel_calendar(p) for p in round_.plan.panel] + [room_calendar(slot.room_id)]
    return all(_free(busy.get(c, ()), *padded) for c in calendars)


def within_hours(round_: RoundDetails, start: datetime, end: datetime) -> bool:
    """The interview from ``start`` to ``end`` lies on one open day of the plan, inside its hours,
    on the venue's clock."""
    zone, plan = ZoneInfo(round_.venue_zone), round_.plan
    first, last = start.astimezone(zone), end.astimezone(zone)
    day = first.date()
    in_dates = plan.dates.start <= day <= plan.dates.end and plan.hours.open_on(day)
    return in_dates and last.date() == day and plan.hours.start <= first.time() and last.time() <= plan.hours.end


def fits(round_: RoundDetails, candidate: Candidate, slot: Slot) -> bool:
    """Inside one of her interview free times and inside the office hours."""
    free = any(w.start <= slot.start and slot.end <= w.end for w in candidate.interview_times)
    return free and within_hours(round_, slot.start, slot.end)


def plan_round(
    round_: RoundDetails, candidates: Sequence[Candidate], busy: Mapping[str, Intervals], *, seconds: float = 2.0
) -> dict[str, Slot]:
    """A slot for as many of ``candidates`` as fit, chosen together."""
    p = round_.plan
    problem = Problem(
        zone=round_.venue_zone,
        days=open_days(p),
        duration=p.duration,
        buffer=p.buffer,
        needs=tuple(
            Need(
                id=c.id,
                panel=tuple(p.panel),
                windows=tuple((w.start, w.end) for w in c.interview_times),
                room_capacity=p.room_capacity,
            )
            for c in candidates
        ),
        staff_busy={s: busy.get(panel_calendar(s), ()) for s in p.panel},
        rooms={r.id: (r.capacity, busy.get(room_calendar(r.id), ())) for r in round_.rooms},
        day_start=p.hours.start,
        day_end=p.hours.end,
        daily_cap=p.max_per_person_per_day,
    )
    seats = plan(problem, seconds=seconds).seats
    return {cid: Slot(start=start, end=start + p.duration, room_id=room) for cid, (start, room) in seats.items()}


def choose_slot(
    round_: RoundDetails, candidate: Candidate, busy: Mapping[str, Intervals], *, exclude: Sequence[Slot] = ()
) -> Slot | None:
    return next(free_slots(round_, candidate, busy, exclude=exclude), None)


def free_slots(
    round_: RoundDetails,
    candidate: Candidate,
    busy: Mapping[str, Intervals],
    *,
    exclude: Sequence[Slot] = (),
    after: datetime | None = None,
) -> Iterator[Slot]:
    """Every free slot in her interview free times, earliest first: the office hours, the panel
    (buffer included) and the smallest free room that is large enough; none overlapping
    ``exclude`` or starting before ``after``."""
    plan = round_.plan
    rooms = sorted((r for r in round_.rooms if r.capacity >= plan.room_capacity), key=lambda r: r.capacity)
    for window in sorted(candidate.interview_times, key=lambda w: w.start):
        for start in _grid_starts(window.start, window.end, plan.duration):
            end = start + plan.duration
            if (after is not None and start < after) or not within_hours(round_, start, end):
                continue
            if any(s.start < end and s.end > start for s in exclude):
                continue
            padded = (start - plan.buffer, end + plan.buffer)
            if not all(_free(busy.get(panel_calendar(p), ()), *padded) for p in plan.panel):
                continue
            room = next((r for r in rooms if _free(busy.get(room_calendar(r.id), ()), *padded)), None)
            if room is not None:
                yield Slot(start=start, end=end, room_id=room.id)


def offer_slots(
    round_: RoundDetails,
    candidate: Candidate,
    busy: Mapping[str, Intervals],
    *,
    exclude: Sequence[Slot],
    after: datetime,
) -> list[Slot]:
    """What her page offers when she asks for another time: at most ``changes.offers`` free slots,
    no two overlapping (a choice of times, not one morning in half-hour steps)."""
    chosen: list[Slot] = []
    for slot in free_slots(round_, candidate, busy, exclude=exclude, after=after):
        if any(c.start < slot.end and c.end > slot.start for c in chosen):
            continue
        chosen.append(slot)
        if len(chosen) == round_.changes.offers:
            break
    return chosen


def search_window(round_: RoundDetails) -> tuple[datetime, datetime]:
    """The UTC span in which any slot of this round can lie (for the busy query)."""
    zone = ZoneInfo(round_.venue_zone)
    first = datetime.combine(round_.plan.dates.start, datetime.min.time(), zone) - timedelta(days=1)
    last = datetime.combine(round_.plan.dates.end, datetime.min.time(), zone) + timedelta(days=2)
    return first.astimezone(ZoneInfo("UTC")), last.astimezone(ZoneInfo("UTC"))
