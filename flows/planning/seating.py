"""Who sits where while a round is planned: the planner's working state and its greedy pass.

Pure: no I/O. Staff and rooms are bitsets over the planner's grid of cells (``flows/planning/planner.py``),
so checking a seat is a few integer ANDs.
"""

from __future__ import annotations

from flows.planning.model import Model, Option

Seat = tuple[Option, int]  # the option taken, the room's index


class Seating:
    def __init__(self, model: Model) -> None:
        self.m = model
        self.staff_occ = list(model.busy_staff)
        self.room_occ = list(model.busy_rooms)
        self.load = [[0] * len(model.p.days) for _ in model.staff]
        self.seat: list[Seat | None] = [None] * len(model.p.needs)
        self.on_day: list[set[int]] = [set() for _ in model.p.days]
        self.panels = [[model.staff_index[s] for s in n.panel] for n in model.p.needs]
        self.panel_sets = [frozenset(p) for p in self.panels]
        self.rooms_ok = [
            [i for i, r in enumerate(model.room_ids) if model.p.rooms[r][0] >= n.room_capacity] for n in model.p.needs
        ]

    def seated(self) -> int:
        return sum(s is not None for s in self.seat)

    def score(self) -> tuple[int, int]:
        """More seated first, then fewer points of preference given up."""
        return self.seated(), -sum(s[0].rank for s in self.seat if s is not None)

    def fits(self, c: int, option: Option) -> int | None:
        """The room she would get at ``option``, or None if someone or something is in the way."""
        mask, day, cap = option.mask, option.day, self.m.p.daily_cap
        if any(self.staff_occ[s] & mask or self.load[s][day] >= cap for s in self.panels[c]):
            return None
        return next((r for r in self.rooms_ok[c] if not self.room_occ[r] & mask), None)

    def sit(self, c: int, option: Option, room: int) -> None:
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

    def fill(self, waiting: set[int]) -> None:
        """Seat as many of ``waiting`` as fit: whoever has the fewest seats left goes first, at the
        seat that takes the fewest seats away from those still waiting (then her preference, then
        the lighter day for her panel)."""
        feasible = {c: [o for o in self.m.options[c] if self.fits(c, o) is not None] for c in waiting}
        while feasible:
            c = min(feasible, key=lambda c: (len(feasible[c]), c))
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
            self.sit(c, option, room)
            for v in near:
                feasible[v] = [o for o in feasible[v] if o.day != option.day or self.fits(v, o) is not None]

    def snapshot(self) -> list[Seat | None]:
        return list(self.seat)

    def restore(self, seats: list[Seat | None]) -> None:
        for c in range(len(self.seat)):
            self.unseat(c)
        for c, seat in enumerate(seats):
            if seat is not None:
                self.sit(c, *seat)
