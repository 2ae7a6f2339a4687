"""Round-level slot planning: every candidate of a round at once. Pure: no I/O, no clock.

Each candidate needs her panel (everyone on it free, buffer included, under a per-person daily
cap) and a room big enough, for the plan's duration, inside one of her interview free times, on
a working day of the plan. The planner maximises, in this order: candidates scheduled, their
preferred times (earlier windows first, earlier starts first); the greedy pass also spreads a
panel's load over the days where that costs nothing else.

How: a greedy pass (``seating``) over the model's grid of cells (``model``; half hours by
default) seats the most constrained candidates first; then OR-Tools CP-SAT improves it under a
time budget (``cpsat``): a small round as one exact model, a large one day by day (a day at a
time freed and re-seated exactly, the other days kept), each step starting from the seats it has.
"""

from __future__ import annotations

import random
import time

from flows.planning.model import Model, Plan, Problem
from flows.planning.seating import Seating

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
    from flows.planning import cpsat  # OR-Tools takes most of a second to import: only when there is a search

    every = range(len(seating.m.p.days))
    for prefer in (False, True):
        left = until - time.perf_counter()
        if left > 0.05:
            # eight workers even on two cores and the fuller LP: on the 200-candidate bench round
            # this found the optimum in 1.3-1.8 s, where two workers often ran out of time
            cpsat.improve(seating, every, seconds=left, prefer=prefer, workers=8, seed=seed, linearization=2)
    return 2


def _day_by_day(seating: Seating, *, until: float, seed: int) -> int:
    from flows.planning import cpsat

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
