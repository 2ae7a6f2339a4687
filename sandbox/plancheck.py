"""Planning instances and an independent plan checker, shared by the planner's tests and
``bench/planner.py``.

Seeded random rounds in Europe/Berlin over two working weeks that cross the switch to summer
time (28 March 2027): 90-minute interviews with a 30-minute buffer, 09:00-17:30, panels of two
or three, at most three interviews per person per day, staff with meetings (a weekly one
included), candidates giving one to three free windows (half and whole days).
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from flows.planning.model import Need, Plan, Problem

ZONE = ZoneInfo("Europe/Berlin")
DAYS = tuple(
    date(2027, 3, 22) + timedelta(days=d) for d in range(12) if (date(2027, 3, 22) + timedelta(days=d)).weekday() < 5
)
SIZES = {200: (200, 15, 5), 1000: (1000, 50, 15)}


def at(day: date, hour: float) -> datetime:
    return datetime.combine(day, clock(int(hour), int(hour % 1 * 60)), ZONE).astimezone(ZoneInfo("UTC"))


def instance(candidates: int, staff: int, rooms: int, *, seed: int = 7, mixed_rooms: bool = False) -> Problem:
    """``mixed_rooms``: rooms of 2, 4 and 8 seats, some booked at times, and candidates needing 1-6."""
    rng = random.Random(seed)
    people = [f"s{i:02d}" for i in range(staff)]
    busy: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for i, person in enumerate(people):
        weekly = rng.randrange(5)  # the team meeting, same weekday and time every week
        for day in DAYS:
            if day.weekday() == weekly:
                busy[person].append((at(day, 10 + i % 3), at(day, 11 + i % 3)))
            for _ in range(rng.randrange(3)):
                start = rng.choice([9, 9.5, 10, 11, 12, 13, 14, 15, 16])
                busy[person].append((at(day, start), at(day, start + rng.choice([0.5, 1]))))
    needs = []
    for c in range(candidates):
        windows = []
        for _ in range(rng.choice((1, 2, 2, 3))):
            day, start = rng.choice(DAYS), rng.choice([9, 9, 9, 10, 11, 12, 13])  # half days and whole days
            windows.append((at(day, start), at(day, min(start + rng.choice([3, 4, 5, 8.5]), 17.5))))
        panel = tuple(rng.sample(people, rng.choice((2, 2, 3))))
        seats = rng.choice((1, 1, 2, 3, 6)) if mixed_rooms else 1
        needs.append(Need(id=f"c{c:04d}", panel=panel, windows=tuple(windows), room_capacity=seats))
    places: dict[str, tuple[int, tuple[tuple[datetime, datetime], ...]]] = {f"r{i:02d}": (4, ()) for i in range(rooms)}
    if mixed_rooms:
        places = {
            f"r{i:02d}": ((2, 4, 8)[i % 3], tuple((at(d, 12), at(d, 14)) for d in DAYS[i % 2 :: 2]))
            for i in range(rooms)
        }
    return Problem(
        zone="Europe/Berlin",
        days=DAYS,
        duration=timedelta(minutes=90),
        buffer=timedelta(minutes=30),
        needs=tuple(needs),
        staff_busy=dict(busy),
        rooms=places,
        day_start=clock(9),
        day_end=clock(17, 30),
        daily_cap=3,
    )


def check(problem: Problem, result: Plan) -> None:
    """Every rule, checked with plain datetimes (not the planner's cells)."""
    needs = {n.id: n for n in problem.needs}
    taken: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    for cid, (start, room) in result.seats.items():
        need, end = needs[cid], start + problem.duration
        local = start.astimezone(ZONE)
        assert any(w0 <= start and end <= w1 for w0, w1 in need.windows), cid
        assert local.date() in problem.days and problem.day_start <= local.time(), cid
        assert end.astimezone(ZONE).time() <= problem.day_end, cid
        assert problem.rooms[room][0] >= need.room_capacity, cid
        for b0, b1 in problem.rooms[room][1]:
            assert not (b0 - problem.buffer < end and start < b1 + problem.buffer), (cid, room)
        for person in need.panel:
            for b0, b1 in problem.staff_busy.get(person, ()):
                assert not (b0 - problem.buffer < end and start < b1 + problem.buffer), (cid, person)
            per_day[(person, local.date())] += 1
            assert per_day[(person, local.date())] <= problem.daily_cap, (cid, person)
        for resource in (*need.panel, room):
            for t0, t1 in taken[resource]:
                assert end + problem.buffer <= t0 or t1 + problem.buffer <= start, (cid, resource)
            taken[resource].append((start, end))
