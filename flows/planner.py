"""Round-level slot planning: every candidate of a round at once. Pure: no I/O, no clock.

Each candidate needs her panel (everyone on it free, buffer included, under a per-person daily
cap) and a room big enough, for the plan's duration, inside one of her interview free times, on
a working day of the plan. The planner maximises, in this order: candidates scheduled, their
preferred times (earlier windows first, earlier starts first), an even staff load.

How: a greedy pass seats the most constrained candidates first; then a large-neighbourhood
search frees the interviews of one or two random days and re-seats everyone it can (the freed
and the unseated, most constrained first, ties broken at random), keeping the change unless
fewer are seated. Resources are bitsets over a grid of cells, so a check is a few integer ANDs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

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


class _State:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.staff_occ = list(model.busy_staff)
        self.room_occ = list(model.busy_rooms)
        self.load = [[0] * len(model.p.days) for _ in model.staff]
        self.seat: list[tuple[Option, int] | None] = [None] * len(model.p.needs)
        self.on_day: list[set[int]] = [set() for _ in model.p.days]
        self.panels = [[model.staff_index[s] for s in n.panel] for n in model.p.needs]
        self.panel_sets = [frozenset(p) for p in self.panels]
        self.rooms_ok = [
            [i for i, r in enumerate(model.room_ids) if model.p.rooms[r][0] >= n.room_capacity] for n in model.p.needs
        ]

    def seated(self) -> int:
        return sum(s is not None for s in self.seat)

    def penalty(self) -> int:
        return sum(s[0].rank for s in self.seat if s is not None)

    def fits(self, c: int, option: Option) -> int | None:
        """The room she would get at ``option``, or None if someone or something is in the way."""
        mask, day, cap = option.mask, option.day, self.m.p.daily_cap
        if any(self.staff_occ[s] & mask or self.load[s][day] >= cap for s in self.panels[c]):
            return None
        return next((r for r in self.rooms_ok[c] if not self.room_occ[r] & mask), None)

    def place(self, c: int, rng: random.Random) -> bool:
        """Seat candidate ``c`` at her best feasible option; False if none is left."""
        best = None
        for option in self.m.options[c]:
            room = self.fits(c, option)
            if room is None:
                continue
            load = max(self.load[s][option.day] for s in self.panels[c])
            key = (option.rank // 1000, load, option.rank, rng.random())
            if best is None or key < best[0]:
                best = (key, option, room)
        if best is None:
            return False
        self._set(c, best[1], best[2])
        return True

    def eject(self, u: int, rng: random.Random, *, sideways: float) -> int:
        """Seat the unseated ``u`` by moving one candidate out of her way: +1 if the other finds
        another seat, 0 for a sideways swap (kept with probability ``sideways``), else undone."""
        panel = self.panel_sets[u]
        for option in self.m.options[u]:
            rivals = [
                v
                for v in self.on_day[option.day]
                if panel & self.panel_sets[v] or option.mask & self.seat[v][0].mask  # type: ignore[index]
            ]
            rng.shuffle(rivals)
            for v in rivals:
                seat = self.seat[v]
                assert seat is not None
                self.unseat(v)
                room = self.fits(u, option)
                if room is None:
                    self._set(v, *seat)
                    continue
                self._set(u, option, room)
                if self.place(v, rng):
                    return 1
                if rng.random() < sideways:
                    return 0
                self.unseat(u)
                self._set(v, *seat)
        return -1

    def _set(self, c: int, option: Option, room: int) -> None:
        for s in self.panels[c]:
            self.staff_occ[s] |= option.mask
            self.load[s][option.day] += 1
        self.room_occ[room] |= option.mask
        self.seat[c] = (option, room)
        self.on_day[option.day].add(c)

    def unseat(self, c: int) -> None:
        seat = self.seat[c]
        if seat is None:
            return
        option, room = seat
        for s in self.panels[c]:
            self.staff_occ[s] &= ~option.mask
            self.load[s][option.day] -= 1
        self.room_occ[room] &= ~option.mask
        self.seat[c] = None
        self.on_day[option.day].discard(c)

    def kick(self, u: int, rng: random.Random) -> None:
        """Seat ``u`` at a random option by unseating whoever is in the way, then re-seat them
        wherever they fit: the count may drop; the caller decides whether to keep it."""
        options = self.m.options[u]
        if not options:
            return
        option = rng.choice(options)
        mask, day, cap = option.mask, option.day, self.m.p.daily_cap
        panel = self.panel_sets[u]
        sharing = [v for v in self.on_day[day] if panel & self.panel_sets[v]]
        out = {v for v in sharing if self.seat[v][0].mask & mask}  # type: ignore[index]
        for s in self.panels[u]:
            left = [v for v in sharing if v not in out and s in self.panel_sets[v]]
            if len(left) >= cap:
                out.add(rng.choice(left))
        for v in out:
            self.unseat(v)
        if self.fits(u, option) is None:  # every room taken then: free one
            rivals = [v for v in self.on_day[day] if self.seat[v][0].mask & mask]  # type: ignore[index]
            if rivals:
                victim = rng.choice(rivals)
                self.unseat(victim)
                out.add(victim)
        room = self.fits(u, option)
        if room is not None:
            self._set(u, option, room)
        for v in sorted(out, key=lambda v: (len(self.m.options[v]), rng.random())):
            self.place(v, rng)

    def fill(self, waiting: set[int], rng: random.Random | None = None) -> None:
        """Seat as many of ``waiting`` as fit: whoever has the fewest seats left goes first, at the
        seat that takes the fewest seats away from those still waiting (then her preference)."""
        feasible = {c: [o for o in self.m.options[c] if self.fits(c, o) is not None] for c in waiting}
        while feasible:
            c = min(feasible, key=lambda c: (len(feasible[c]), rng.random() if rng else c))
            choices = [o for o in feasible.pop(c) if self.fits(c, o) is not None]
            if not choices:
                continue
            near = [v for v in feasible if self.panel_sets[v] & self.panel_sets[c]]

            def cost(o: Option, near: list[int] = near, c: int = c) -> tuple[int, int, int, int]:
                lost = sum(1 for v in near for x in feasible[v] if x.day == o.day and x.mask & o.mask)
                load = max(self.load[s][o.day] for s in self.panels[c])
                return lost, o.rank // 1000, load, o.rank

            option = min(choices, key=cost)
            room = self.fits(c, option)
            assert room is not None
            self._set(c, option, room)
            for v in near:
                feasible[v] = [o for o in feasible[v] if o.day != option.day or self.fits(v, o) is not None]

    def sweep(self, rng: random.Random, *, tries: int = 20) -> None:
        """Try to seat some unseated candidates by ejection."""
        unseated = [c for c, s in enumerate(self.seat) if s is None and self.m.options[c]]
        rng.shuffle(unseated)
        for u in unseated[:tries]:
            if self.seat[u] is None:
                self.eject(u, rng, sideways=0.3)

    def reseat_days(self, rng: random.Random, by_day: list[list[int]]) -> None:
        """Free one or two days and re-seat everyone who can come then, most constrained first."""
        days = rng.sample(range(len(self.on_day)), k=min(len(self.on_day), rng.choice((1, 2))))
        for day in days:
            for c in list(self.on_day[day]):
                self.unseat(c)
        self.fill({c for d in days for c in by_day[d] if self.seat[c] is None}, rng)

    def snapshot(self) -> list[tuple[Option, int] | None]:
        return list(self.seat)

    def restore(self, seats: list[tuple[Option, int] | None]) -> None:
        for c in range(len(self.seat)):
            self.unseat(c)
        for c, seat in enumerate(seats):
            if seat is not None:
                self._set(c, *seat)


def greedy(problem: Problem) -> Plan:
    """One pass, most constrained first: the reference the search improves on."""
    return plan(problem, seconds=0.0)


def plan(problem: Problem, *, seconds: float = 1.5, seed: int = 0) -> Plan:
    began = time.perf_counter()
    model = Model(problem)
    state = _State(model)
    state.fill(set(range(len(problem.needs))))
    rng, iterations = random.Random(seed), 0
    by_day: list[list[int]] = [[] for _ in problem.days]
    for c, options in enumerate(model.options):
        for day in {o.day for o in options}:
            by_day[day].append(c)
    current = best = (state.seated(), -state.penalty())
    best_seats, ceiling = state.snapshot(), sum(1 for o in model.options if o)
    while time.perf_counter() - began < seconds and best[0] < ceiling:
        iterations += 1
        before = state.snapshot()
        step = iterations % 8
        if step == 0:
            state.reseat_days(rng, by_day)
        elif step < 4:
            state.sweep(rng)
        else:
            for u in rng.sample(range(len(problem.needs)), k=min(5, len(problem.needs))):
                if state.seat[u] is None:
                    state.kick(u, rng)
        score = (state.seated(), -state.penalty())
        # equal seats with worse preferences now and then: a sideways step out of a local optimum
        if score >= current or (score[0] >= current[0] - 1 and rng.random() < 0.1):
            current = score
            if score > best:
                best, best_seats = score, state.snapshot()
        else:
            state.restore(before)
    state.restore(best_seats)
    seats = {
        problem.needs[c].id: (model.origin + seat[0].start * problem.grid, model.room_ids[seat[1]])
        for c, seat in enumerate(state.seat)
        if seat is not None
    }
    return Plan(seats=seats, seconds=time.perf_counter() - began, iterations=iterations)
