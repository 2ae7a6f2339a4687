"""Round-level slot planning against two references: the greedy pass and OR-Tools CP-SAT.

The rounds are ``sandbox.plancheck.instance``: seeded, in Europe/Berlin over two working weeks
that cross the switch to summer time. Every plan is checked by ``sandbox.plancheck.check`` before
it is counted. "bound" counts the candidates who could be seated if they were alone.

    make bench-planner                                  # both sizes, CP-SAT 10 s and 60 s
    python -m bench.planner --size 200 --cpsat-seconds 60

The planner itself uses CP-SAT (``flows/planning/cpsat.py``); the reference here is one CP-SAT model
of the whole round from nothing, as the issue measured it. OR-Tools is imported before any clock
starts (the planner imports it lazily, which costs about 0.9 s once per process).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import partial

import flows.planning.cpsat  # noqa: F401  (imported here so no timing includes it)
from flows.planning.model import Model, Plan, Problem
from flows.planning.planner import greedy, plan
from sandbox.plancheck import DAYS, SIZES, check, instance


def cpsat(problem: Problem, seconds: float) -> Plan:
    """One CP-SAT model: a boolean per candidate and start; rooms are identical and free, so a
    per-cell count of interviews against the number of rooms is exact (interval graphs)."""
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    model = Model(problem)
    cp = cp_model.CpModel()
    x = {(c, i): cp.new_bool_var(f"x{c}_{i}") for c, options in enumerate(model.options) for i in range(len(options))}
    by_cell: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    by_day: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    rooms: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (c, i), var in x.items():
        option, need = model.options[c][i], problem.needs[c]
        cells = [b for b in range(option.mask.bit_length()) if option.mask >> b & 1]
        for person in need.panel:
            by_day[(person, option.day)].append(var)
            for b in cells:
                by_cell[(person, b)].append(var)
        for b in cells:
            rooms[b].append(var)
    for c, options in enumerate(model.options):
        cp.add_at_most_one(x[(c, i)] for i in range(len(options)))
    for group in by_cell.values():
        cp.add_at_most_one(group)
    for group in by_day.values():
        cp.add(sum(group) <= problem.daily_cap)
    for group in rooms.values():
        cp.add(sum(group) <= len(problem.rooms))
    cp.maximize(sum(x.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = os.cpu_count() or 2
    status = solver.solve(cp)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Plan(seconds=time.perf_counter() - began, note="no solution yet")
    proven = "optimal" if status == cp_model.OPTIMAL else f"bound {solver.best_objective_bound:.0f}"
    chosen = sorted(((model.options[c][i].start, c) for (c, i), var in x.items() if solver.value(var)))
    return Plan(seats=_rooms(model, chosen), seconds=time.perf_counter() - began, note=proven)


def _rooms(model: Model, chosen: list[tuple[int, int]]) -> dict[str, tuple[datetime, str]]:
    """Rooms handed out in start order (always enough: the model counted them per cell)."""
    problem = model.p
    free_at = dict.fromkeys(problem.rooms, -1)
    seats = {}
    for cell, c in chosen:
        room = next(r for r, until in sorted(free_at.items()) if until <= cell)
        option = next(o for o in model.options[c] if o.start == cell)
        free_at[room] = option.mask.bit_length()
        seats[problem.needs[c].id] = (model.origin + cell * problem.grid, room)
    return seats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, nargs="+", default=[200, 1000], choices=sorted(SIZES))
    parser.add_argument("--cpsat-seconds", type=float, nargs="+", default=[10.0, 60.0])
    parser.add_argument("--budget", type=float, nargs="+", default=[2.0, 10.0], help="planner seconds per size")
    parser.add_argument("--seeds", type=int, default=5, help="planner seeds per size")
    args = parser.parse_args()
    sys.stdout.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    sys.stdout.write("| round | bound | method | scheduled | seconds |\n|---|---|---|---|---|\n")
    for size, budget in zip(args.size, args.budget, strict=False):
        problem = instance(*SIZES[size])
        bound = sum(1 for o in Model(problem).options if o)
        label = "{} / {} / {} / {} days".format(*SIZES[size], len(DAYS))
        runs: list[tuple[str, Callable[[Problem], Plan]]] = [("greedy", greedy)]
        runs += [(f"planner, seed {s}", partial(plan, seconds=budget, seed=s)) for s in range(args.seeds)]
        runs += [(f"CP-SAT {s:g} s", partial(cpsat, seconds=s)) for s in args.cpsat_seconds]
        for name, solve in runs:
            began = time.perf_counter()
            result = solve(problem)
            took = time.perf_counter() - began
            check(problem, result)
            shown = f"{name} ({result.note})" if result.note else name
            sys.stdout.write(f"| {label} | {bound} | {shown} | {len(result.seats)} | {took:.2f} |\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
