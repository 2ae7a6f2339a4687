"""The planner's improvement step: re-seat some days exactly with OR-Tools CP-SAT. Pure: no I/O.

``improve`` frees the given days, asks CP-SAT for the best seating of everyone who is unseated or
was seated on them (the seats of the other days stay), with the current seats as its hint, and
keeps the answer only if it is no worse. For a small round the days are all of them: one exact
model, solved for seats alone first (far easier), then for preferences with no seat lost.

Rooms with the same capacity and the same busy time on those days form a class. Interviews are
intervals, so "at most as many at once as the class has rooms" is exact for a class: the rooms
are handed out afterwards in start order, each interview taking a room of its class free then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

from ortools.sat.python import cp_model

from flows.planning.model import Option
from flows.planning.seating import Seat, Seating


def _classes(seating: Seating, offered: dict[int, list[Option]]) -> list[tuple[int, int, list[int]]]:
    """(capacity, busy cells, room indexes) per class of rooms interchangeable in those cells."""
    days_mask = 0
    for o in (o for options in offered.values() for o in options):
        days_mask |= o.mask
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for r, room_id in enumerate(seating.m.room_ids):
        grouped[(seating.m.p.rooms[room_id][0], seating.room_occ[r] & days_mask)].append(r)
    return [(capacity, busy, rooms) for (capacity, busy), rooms in grouped.items()]


def improve(
    seating: Seating,
    days: Collection[int],
    *,
    seconds: float,
    prefer: bool,
    workers: int = 1,
    seed: int = 0,
    linearization: int = 1,
) -> bool:
    """Re-seat ``days`` exactly (within ``seconds``), counting seats only or seats then preferences
    (``prefer``); True if the seating got better."""
    before, score = seating.snapshot(), seating.score()
    hint = {c: seat for d in days for c in seating.on_day[d] if (seat := seating.seat[c]) is not None}
    for c in hint:
        seating.unseat(c)
    model, chosen, classes = _model(seating, days, hint, prefer=prefer)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = linearization
    if solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for c, o, k in sorted((key for key, x in chosen.items() if solver.value(x)), key=lambda key: key[1].start):
            room = next(r for r in classes[k][2] if not seating.room_occ[r] & o.mask)
            seating.sit(c, o, room)
    if seating.score() < score:  # out of time before a solution as good as the hint
        seating.restore(before)
    return seating.score() > score


Chosen = dict[tuple[int, "Option", int], cp_model.IntVar]


def _model(
    seating: Seating, days: Collection[int], hint: dict[int, Seat], *, prefer: bool
) -> tuple[cp_model.CpModel, Chosen, list[tuple[int, int, list[int]]]]:
    """A boolean per (candidate, start, room class); at most one each; staff one at a time and
    under the daily cap; per room class at most as many at once as it has rooms."""
    m = seating.m
    offered = {c: [o for o in m.options[c] if o.day in days] for c, seat in enumerate(seating.seat) if seat is None}
    classes = _classes(seating, offered)
    weight = 1 + sum(max((o.rank for o in options), default=0) for options in offered.values())
    model, chosen = cp_model.CpModel(), {}
    staff_cells: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    room_cells: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    per_day: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for c, options in offered.items():
        panel, mine = seating.panels[c], []
        for o, k in ((o, k) for o in options for k in range(len(classes))):
            capacity, busy, rooms = classes[k]
            too_small = capacity < m.p.needs[c].room_capacity
            if too_small or busy & o.mask or any(seating.staff_occ[s] & o.mask for s in panel):
                continue
            x = chosen[(c, o, k)] = model.new_bool_var(f"c{c}_{o.start}_{k}")
            mine.append(x)
            was = hint.get(c)
            model.add_hint(x, was is not None and was[0] is o and was[1] in rooms)
            for cell in range(o.start, o.mask.bit_length()):
                room_cells[(k, cell)].append(x)
                for s in panel:
                    staff_cells[(s, cell)].append(x)
            for s in panel:
                per_day[(s, o.day)].append(x)
        model.add_at_most_one(mine)
    for group in staff_cells.values():
        model.add_at_most_one(group)
    limits = [(group, len(classes[k][2])) for (k, _), group in room_cells.items()]
    limits += [(group, m.p.daily_cap - seating.load[s][day]) for (s, day), group in per_day.items()]
    for group, most in limits:
        if len(group) > most:
            model.add(sum(group) <= most)
    _objective(model, chosen, seated=len(hint), weight=weight, prefer=prefer)
    return model, chosen, classes


def _objective(model: cp_model.CpModel, chosen: Chosen, *, seated: int, weight: int, prefer: bool) -> None:
    if prefer:  # as many as before at least; one more seat outweighs every preference together
        model.add(sum(chosen.values()) >= seated)
        model.maximize(sum(x * (weight - o.rank) for (_, o, _), x in chosen.items()))
    else:  # seats alone: a much easier model, solved first
        model.maximize(sum(chosen.values()))
