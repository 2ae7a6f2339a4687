"""Outbound-call pacing shared by every run on this machine: one call every 1/CPS seconds.

Each caller reserves the next free instant under an exclusive file lock and sleeps until it, so
concurrent candidate runs (separate processes) never exceed the rate yet keep it full: a waiting
caller's slot is exactly one interval after the previous one. Prefect's ``rate_limit`` with slot
decay reached only 51-74 % of its nominal rate (``docs/benchmarks.md``), which is why this exists.
Several machines sharing one Twilio account would need the lock file on shared storage.
"""

from __future__ import annotations

import asyncio
import fcntl
import time
from pathlib import Path


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
