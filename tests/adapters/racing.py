"""The race every calendar backend must pass: two processes hold overlapping times on 40 fresh
calendars at once; on each, exactly one wins the first time and the other moves a day on, and
nobody is double-booked. One suite for CalDAV, Google and Microsoft Graph."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from config.settings import Settings
from tasks.clients.caldav import caldav
from tasks.clients.calendar_backends import CalendarClient
from tasks.clients.google import google
from tasks.clients.graph import graph
from tasks.clients.reservations import Clash, Entry

GUARD = timedelta(minutes=30)
OPENERS: dict[str, Callable[[Settings], AbstractAsyncContextManager[CalendarClient]]] = {
    "caldav": caldav,
    "google": google,
    "microsoft": graph,
}
CALENDARS: dict[str, Callable[[Settings, int], str]] = {
    "caldav": lambda settings, trial: f"{settings.caldav_url}room-race-{trial}/",
    "google": lambda _, trial: f"race-{trial}@resource.calendar.google.com",
    "microsoft": lambda _, trial: f"race-{trial}@northwind.example",
}


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=ZoneInfo("Europe/Berlin")).astimezone(timezone.utc)


def _racer(where: tuple[str, Settings], me: int, trials: int, barrier: Any, results: Any) -> None:
    """One candidate run in its own process: hold 10:00 (or 10:30), else the next day."""
    backend, settings = where

    async def book(trial: int) -> tuple[int, int, str]:
        calendar, start = CALENDARS[backend](settings, trial), _at(29, 10, 30 * me)
        async with OPENERS[backend](settings) as client:
            barrier.wait()
            for how, at in (("first", start), ("moved", start + timedelta(days=1))):
                try:
                    await client.hold(
                        calendar,
                        Entry(f"r{trial}.c{me}.room@test", at, at + timedelta(hours=6)),
                        summary="x",
                        guard=GUARD,
                    )
                    return trial, me, how
                except Clash:
                    continue
        raise AssertionError("the next day was free: it cannot clash")

    for trial in range(trials):
        results.put(asyncio.run(book(trial)))


def race(backend: str, settings: Settings, *, trials: int = 40) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_racer, args=((backend, settings), me, trials, barrier, results)) for me in (0, 1)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=240) for _ in range(2 * trials)]
    for proc in procs:
        proc.join(timeout=30)
    by_trial: dict[int, list[str]] = {}
    for trial, _, how in outcomes:
        by_trial.setdefault(trial, []).append(how)
    assert all(sorted(hows) == ["first", "moved"] for hows in by_trial.values()), by_trial  # one winner each
    assert asyncio.run(_double_bookings(backend, settings, trials)) == 0


async def _double_bookings(backend: str, settings: Settings, trials: int) -> int:
    clashes = 0
    async with OPENERS[backend](settings) as client:
        for trial in range(trials):
            busy = await client.busy(CALENDARS[backend](settings, trial), _at(29, 0), _at(31, 0))
            assert len(busy) == 2
            clashes += busy[0][1] + GUARD > busy[1][0]
    return clashes
