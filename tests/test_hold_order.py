"""Two runs racing for one time: every interleaving of their holds, explored exhaustively.

A run needs some calendars (the room and the panel) at the same time as the other run. Each
hold is atomic (the reservation ledger's conditional write); a run that meets a hold of the
other's gives up the time, releasing its own holds one at a time. Taken in ``hold_order`` (one
order for everyone, stopping at the first taken), exactly one run wins in every interleaving;
taken in parallel (the old way, every calendar tried), some interleavings end with both losing
while the time is free, and the check below finds one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import permutations

import pytest

from flows.planning.slots import hold_order

REFS = {
    "staff:amara": "google:amara@northwind.example",
    "staff:tom": "https://dav.example/staff-tom/",
    "staff:lee": "microsoft:lee@northwind.example",
    "room:fleet": "microsoft:fleet@northwind.example",
    "room:thames": "https://dav.example/room-thames/",
}
SHAPES = {
    "same panel, other rooms": (
        ["room:fleet", "staff:amara", "staff:tom"],
        ["room:thames", "staff:amara", "staff:tom"],
    ),
    "same room, other panels": (["room:fleet", "staff:amara"], ["room:fleet", "staff:tom", "staff:lee"]),
    "one inside the other": (["room:fleet", "staff:amara", "staff:tom", "staff:lee"], ["staff:tom", "staff:lee"]),
    "all shared": (["room:fleet", "staff:amara", "staff:tom", "staff:lee"],) * 2,
}


@dataclass(frozen=True)
class Run:
    """Where one run is: calendars still to try (in order, or any order), those it holds, a clash seen."""

    name: str
    to_try: tuple[str, ...]
    held: tuple[str, ...] = ()
    clashed: bool = False
    in_order: bool = True
    done: str = ""

    def moves(self, taken: dict[str, str]) -> list[tuple[Run, dict[str, str]]]:
        """Each atomic step this run can take next, with the calendars after it."""
        if self.done:
            return []
        if self.clashed and (self.in_order or not self.to_try):  # giving up: release one hold
            if not self.held:
                return [(replace(self, done="lost"), taken)]
            rest = {cal: who for cal, who in taken.items() if cal != self.held[-1]}
            return [(replace(self, held=self.held[:-1]), rest)]
        if not self.to_try:
            return [(replace(self, done="won"), taken)]
        choices = self.to_try[:1] if self.in_order else self.to_try
        return [self._try(cal, taken) for cal in choices]

    def _try(self, cal: str, taken: dict[str, str]) -> tuple[Run, dict[str, str]]:
        left = tuple(c for c in self.to_try if c != cal)
        if taken.get(cal, self.name) != self.name:
            return replace(self, to_try=left, clashed=True), taken
        return replace(self, to_try=left, held=(*self.held, cal)), taken | {cal: self.name}


def endings(first: Run, second: Run) -> set[tuple[str, str]]:
    """Every way the race can end, over all interleavings of the two runs' steps."""
    seen: set[tuple[Run, Run, tuple[tuple[str, str], ...]]] = set()
    ends: set[tuple[str, str]] = set()
    stack = [(first, second, dict[str, str]())]
    while stack:
        a, b, taken = stack.pop()
        state = (a, b, tuple(sorted(taken.items())))
        if state in seen:
            continue
        seen.add(state)
        if a.done and b.done:
            ends.add((a.done, b.done))
        stack += [(a2, b, t) for a2, t in a.moves(taken)] + [(a, b2, t) for b2, t in b.moves(taken)]
    return ends


@pytest.mark.parametrize("shape", SHAPES)
def test_in_the_shared_order_exactly_one_of_two_racing_runs_wins(shape: str) -> None:
    first, second = (Run(name, tuple(hold_order(REFS, needs))) for name, needs in zip("ab", SHAPES[shape], strict=True))
    assert endings(first, second) == {("won", "lost"), ("lost", "won")}


@pytest.mark.parametrize("shape", ["same panel, other rooms", "one inside the other", "all shared"])
def test_held_in_parallel_both_can_lose_a_free_time(shape: str) -> None:
    first, second = (Run(name, tuple(needs), in_order=False) for name, needs in zip("ab", SHAPES[shape], strict=True))
    ends = endings(first, second)
    assert ("lost", "lost") in ends and ("won", "won") not in ends


def test_the_order_is_the_calendars_own_not_the_round_files() -> None:
    needs = SHAPES["all shared"][0]
    assert len({tuple(hold_order(REFS, list(listed))) for listed in permutations(needs)}) == 1
    assert hold_order(REFS, ["staff:tom", "room:thames"]) == ["room:thames", "staff:tom"]  # by reference
