"""The planner's model: what a round asks (``Problem``, ``Need``), what it gets (``Plan``), and the
grid of cells with each candidate's possible starts (``Model``, ``Option``). Pure: no I/O.

Also ``Slot``, the time and room one candidate is given, shared by the planner and the flows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field


class Slot(BaseModel):
    start: datetime = Field(description="Start, UTC")
    end: datetime = Field(description="End, UTC")
    room_id: str = Field(description="Room chosen for the day")


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
