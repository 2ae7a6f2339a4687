"""Outbound-call pacing shared by every run on this machine: one call every 1/CPS seconds.

Each caller reserves the next free instant under an exclusive file lock and sleeps until it, so
concurrent candidate runs (separate processes) never exceed the rate yet keep it full: a waiting
caller's slot is exactly one interval after the previous one. Prefect's ``rate_limit`` with slot
decay reached only 51-74 % of its nominal rate (``docs/benchmarks.md``), which is why this exists.
Several machines sharing one Twilio account reserve in the shared database instead
(``SharedPacer``): one row, moved forward by one atomic statement on the database's clock.
"""

from __future__ import annotations

import asyncio
import fcntl
import time
from pathlib import Path
from typing import Protocol

from tasks.clients.shared_state import shared


class Pacer(Protocol):
    async def wait_turn(self) -> float:
        """Sleep until this caller's slot; returns the slot (epoch seconds)."""
        ...


class CallPacer:
    def __init__(self, path: Path, *, per_second: float) -> None:
        self.path = path
        self.interval = 1.0 / per_second

    def _reserve(self) -> float:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            handle.seek(0)
            previous = float(handle.read().strip() or 0.0)
            slot = max(time.time(), previous + self.interval)
            handle.seek(0)
            handle.truncate()
            handle.write(repr(slot))
            return slot

    async def wait_turn(self) -> float:
        """Sleep until this caller's slot; returns the slot (epoch seconds)."""
        slot = await asyncio.to_thread(self._reserve)
        delay = slot - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return slot


# The row is locked by the update itself, so concurrent callers on every machine queue on it;
# both the slot and "now" come from the database's clock, so machines' clocks need not agree.
_RESERVE = """
insert into pacing (name, slot) values (?, extract(epoch from clock_timestamp()))
on conflict (name) do update set slot = greatest(extract(epoch from clock_timestamp()), pacing.slot + ?)
returning slot, extract(epoch from clock_timestamp())::double precision
"""


class SharedPacer:
    def __init__(self, url: str, *, name: str, per_second: float) -> None:
        self.url = url
        self.name = name
        self.interval = 1.0 / per_second

    async def wait_turn(self) -> float:
        [(slot, now)] = await shared(self.url).fetch(_RESERVE, self.name, self.interval)
        delay = float(slot) - float(now)
        if delay > 0:
            await asyncio.sleep(delay)
        return float(slot)
