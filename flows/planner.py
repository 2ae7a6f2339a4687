"""Round-level slot planning: every candidate of a round at once. Pure: no I/O, no clock.

Each candidate needs her panel (everyone on it free, buffer included, under a per-person daily
cap) and a room big enough, for the plan's duration, inside one of her interview free times, on
a working day of the plan. The planner maximises, in this order: candidates scheduled, their
preferred times (earlier windows first, earlier starts first); the greedy pass also spreads a
panel's load over the days where that costs nothing else.

How: a greedy pass (``flows/seating.py``) seats the most constrained candidates first; then
OR-Tools CP-SAT improves it under a time budget (``flows/cpsat.py``): a small round as one exact
model, a large one day by day (a day at a time freed and re-seated exactly, the other days kept),
each step starting from the seats it has. Time is a grid of cells (half hours by default).
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from flows.seating import Seating

Intervals = Sequence[tuple[datetime, datetime]]


@dataclass(frozen=True)
class Need:
    """One candidate: who she meets, how many people the room holds, when she can come."""

    id: str
    panel: tuple[str, ...]
    windows: tuple[tuple[datetime, datetime], ...]  # aware; the first listed is the one she prefers
    room_capacity: int = 1


@dataclass(frozen=True)
class Problem:
    zone: str
    days: tuple[date, ...]
    duration: timedelta
    buffer: timedelta
    needs: tuple[Need, ...]
    staff_busy: Mapping[str, Intervals]
    rooms: Mapping[str, tuple[int, Intervals]]  # id -> (capacity, busy)
    day_start: clock = clock(8)
    day_end: clock = clock(19)
    daily_cap: int = 3
    grid: timedelta = timedelta(minutes=30)


@dataclass
class Plan:
    """Seated candidates: id -> (start, room id)."""

    seats: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    seconds: float = 0.0
    iterations: int = 0
    note: str = ""


@dataclass(frozen=True)
class Option:
    start: int  # cell index
    day: int
    mask: int  # the cells it occupies, buffer after it included
    rank: int  # lower is preferred


class Model:
    def __init__(self, problem: Problem) -> None:
        self.p = problem
        zone = ZoneInfo(problem.zone)
        first = datetime.combine(min(problem.days), clock(0), zone) - timedelta(days=1)
        self.origin = first.astimezone(ZoneInfo("UTC"))
        self.staff = sorted({s for n in problem.needs for s in n.panel} | set(problem.staff_busy))
        self.staff_index = {s: i for i, s in enumerate(self.staff)}
        self.room_ids = sorted(problem.rooms, key=lambda r: (problem.rooms[r][0], r))  # smallest first
        self.busy_staff = [self._busy(problem.staff_busy.get(s, ())) for s in self.staff]
        self.busy_rooms = [self._busy(problem.rooms[r][1]) for r in self.room_ids]
        self.options = [self._options(n, zone) for n in problem.needs]

    def cell(self, moment: datetime) -> int:
        return int((moment - self.origin) // self.p.grid)

    def _busy(self, busy: Intervals) -> int:
        mask = 0
        for start, end in busy:  # an option's mask covers the buffer after it; a busy block, after it too
            first = max(self.cell(start), 0)
            last = self.cell(end + self.p.buffer - timedelta(microseconds=1))
            if last >= first:
                mask |= ((1 << (last - first + 1)) - 1) << first
        return mask

    def _options(self, need: Need, zone: ZoneInfo) -> list[Option]:
        p = self.p
        length = -(-(p.duration + p.buffer) // p.grid)
        days = {d: i for i, d in enumerate(sorted(p.days))}
        found: dict[int, Option] = {}
        staff = [self.staff_index[s] for s in need.panel]
        rooms = [i for i, r in enumerate(self.room_ids) if p.rooms[r][0] >= need.room_capacity]
        for w_rank, (w_start, w_end) in enumerate(need.windows):
            start = self.origin + self.cell(w_start + p.grid - timedelta(microseconds=1)) * p.grid
            while start + p.duration <= w_end:
                local = start.astimezone(zone)
                end_local = (start + p.duration).astimezone(zone)
                day = days.get(local.date())
                if (
                    day is not None
                    and local.time() >= p.day_start
                    and end_local.date() == local.date()
                    and end_local.time() <= p.day_end
                ):
                    cell = self.cell(start)
                    mask = ((1 << length) - 1) << cell
                    free = all(not self.busy_staff[s] & mask for s in staff)
                    if free and any(not self.busy_rooms[r] & mask for r in rooms) and cell not in found:
                        found[cell] = Option(cell, day, mask, w_rank * 1000 + len(found))
                start += p.grid
        return sorted(found.values(), key=lambda o: o.rank)


WHOLE_ROUND_OPTIONS = 3000  # above this many (candidate, start) pairs one model is too slow: day by day
DAY_SECONDS = 0.3  # long enough for CP-SAT to settle one day of a 1,000-candidate round on one core
PREFERENCE_SHARE = 0.1  # of a day-by-day budget, kept for preferences once the seats are counted


def greedy(problem: Problem) -> Plan:
    """One pass, most constrained first: the reference the search improves on."""
    return plan(problem, seconds=0.0)


def plan(problem: Problem, *, seconds: float = 2.0, seed: int = 0, by_day: bool | None = None) -> Plan:
    """The best seating found in about ``seconds`` (``by_day``: force or forbid day-by-day search)."""
    began = time.perf_counter()
    model = Model(problem)
    seating = Seating(model)
    seating.fill(set(range(len(problem.needs))))
    steps, everyone = 0, sum(1 for o in model.options if o)
    if seating.seated() < everyone and seconds > 0:
        if by_day is None:
            by_day = sum(len(o) for o in model.options) > WHOLE_ROUND_OPTIONS
        search = _day_by_day if by_day else _whole_round
        steps = search(seating, until=began + seconds - min(0.15, seconds / 10), seed=seed)  # time to hand back
    seats = {
        problem.needs[c].id: (model.origin + seat[0].start * problem.grid, model.room_ids[seat[1]])
        for c, seat in enumerate(seating.seat)
        if seat is not None
    }
    return Plan(seats=seats, seconds=time.perf_counter() - began, iterations=steps)


def _whole_round(seating: Seating, *, until: float, seed: int) -> int:
    from flows import cpsat  # OR-Tools takes most of a second to import: only when there is a search

    every = range(len(seating.m.p.days))
    for prefer in (False, True):
        left = until - time.perf_counter()
        if left > 0.05:
            # eight workers even on two cores and the fuller LP: on the 200-candidate bench round
            # this found the optimum in 1.3-1.8 s, where two workers often ran out of time
            cpsat.improve(seating, every, seconds=left, prefer=prefer, workers=8, seed=seed, linearization=2)
    return 2


def _day_by_day(seating: Seating, *, until: float, seed: int) -> int:
    from flows import cpsat

    days, options = len(seating.m.p.days), seating.m.options
    everyone = sum(1 for o in options if o)
    rng, steps = random.Random(seed), 0
    counting_until = until - PREFERENCE_SHARE * (until - time.perf_counter())
    while time.perf_counter() < counting_until and seating.seated() < everyone:
        waiting = [1] * days  # a day where more of the unseated could come is likelier to gain
        for c, seat in enumerate(seating.seat):
            for day in {o.day for o in options[c]} if seat is None else ():
                waiting[day] += 1
        day = rng.choices(range(days), weights=waiting)[0]
        left = min(DAY_SECONDS, counting_until - time.perf_counter())
        cpsat.improve(seating, (day,), seconds=left, prefer=False, seed=steps)
        steps += 1
    for day in range(days):  # the seats-only steps took any start that fitted: now the preferred ones
        share = (until - time.perf_counter()) / (days - day)
        if share > 0.01:
            cpsat.improve(seating, (day,), seconds=share, prefer=True, seed=steps)
            steps += 1
    return steps
