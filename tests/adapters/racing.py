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
from flows.planning.slots import hold_order
from tasks.clients.caldav import caldav
from tasks.clients.calendar_backends import CalendarClient, calendars
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


def _slot_racer(settings: Settings, me: int, trials: int, barrier: Any, results: Any) -> None:
    """One run wanting one time on a panel spread over the three backends, and a room of its own:
    the calendars taken in ``hold_order``, giving up at the first taken (``flows/logistics.py``)."""

    async def take(trial: int) -> tuple[int, int, str]:
        refs = {
            "staff:amara": f"google:slot-{trial}-amara@northwind.example",
            "staff:tom": f"microsoft:slot-{trial}-tom@northwind.example",
            "staff:lee": f"{settings.caldav_url}slot-{trial}-lee/",
            "room:own": f"{settings.caldav_url}slot-{trial}-room-{me}/",
        }
        at = _at(29, 10, 30 * me)
        entry = Entry(f"s{trial}.c{me}@test", at, at + timedelta(hours=6))
        held: list[tuple[CalendarClient, str]] = []
        async with calendars(settings) as clients:
            barrier.wait()
            for key in hold_order(refs, list(refs)):
                client, address = await clients.client(refs[key])
                try:
                    await client.hold(address, entry, summary="x", guard=GUARD)
                except Clash:
                    for client, address in reversed(held):
                        await client.release(address, entry.uid)
                    return trial, me, "lost"
                held.append((client, address))
        return trial, me, "won"

    for trial in range(trials):
        results.put(asyncio.run(take(trial)))


def slot_race(settings: Settings, *, trials: int = 40) -> dict[str, int]:
    """Two runs racing for overlapping times on the same panel: exactly one wins each trial."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_slot_racer, args=(settings, me, trials, barrier, results)) for me in (0, 1)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=300) for _ in range(2 * trials)]
    for proc in procs:
        proc.join(timeout=30)
    by_trial: dict[int, list[str]] = {}
    for trial, _, how in outcomes:
        by_trial.setdefault(trial, []).append(how)
    assert all(sorted(hows) == ["lost", "won"] for hows in by_trial.values()), by_trial
    return {f"won by run {me}": sum(1 for t, m, how in outcomes if m == me and how == "won") for me in (0, 1)}
