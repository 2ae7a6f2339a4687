"""The calendar clients behind one interface, one per backend, each opened when first needed.

``tasks/calendars.py`` asks ``Calendars.client(ref)`` for the client of a calendar reference
(``config.calendar_refs``: a CalDAV URL, ``google:...`` or ``microsoft:...``) and the address
that client knows the calendar by, then talks to it through ``CalendarClient``: busy time, a
hold (raising ``Clash`` when another hold overlaps), its booking and its release. A round may
mix backends; one task opens each backend's client once: CalDAV (``tasks/clients/caldav.py``),
Google Calendar (``tasks/clients/google.py``) and Microsoft Graph (``tasks/clients/graph.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import Protocol

from config.calendar_refs import Backend, split_ref
from config.errors import ConfigError
from config.settings import Settings
from tasks.clients.caldav import caldav
from tasks.clients.google import google
from tasks.clients.graph import graph
from tasks.clients.reservations import Entry

Interval = tuple[datetime, datetime]


class CalendarClient(Protocol):
    async def busy(self, calendar: str, start: datetime, end: datetime) -> list[Interval]: ...

    async def busy_of(self, calendars: list[str], start: datetime, end: datetime) -> dict[str, list[Interval]]:
        """Busy times of many calendars, in as few requests as the backend allows."""
        ...

    async def hold(self, calendar: str, entry: Entry, *, summary: str, guard: timedelta) -> None: ...

    async def confirm(self, calendar: str, uid: str, *, summary: str, description: str) -> bool: ...

    async def meeting_link(self, calendar: str, uid: str) -> str | None:
        """The video meeting on a booked event, made once (None: the booking is gone)."""
        ...

    async def release(self, calendar: str, uid: str) -> None: ...


Opener = Callable[[Settings], AbstractAsyncContextManager[CalendarClient]]
OPENERS: dict[Backend, Opener] = {Backend.caldav: caldav, Backend.google: google, Backend.microsoft: graph}


class Calendars:
    """The clients one task needs, by backend."""

    def __init__(self, settings: Settings, stack: AsyncExitStack) -> None:
        self.settings, self.stack = settings, stack
        self.open: dict[Backend, CalendarClient] = {}

    async def client(self, ref: str) -> tuple[CalendarClient, str]:
        backend, address = split_ref(ref)
        if backend not in OPENERS:
            raise ConfigError(f"{ref}: this version of secondround has no {backend.value} calendar client")
        if backend not in self.open:
            self.open[backend] = await self.stack.enter_async_context(OPENERS[backend](self.settings))
        return self.open[backend], address

    async def busy(self, refs: dict[str, str], start: datetime, end: datetime) -> dict[str, list[Interval]]:
        """Busy times per key of ``refs`` (key: calendar reference), one batch per backend."""
        by_backend: dict[Backend, dict[str, str]] = {}
        for key, ref in refs.items():
            backend, address = split_ref(ref)
            by_backend.setdefault(backend, {})[key] = address
        found: dict[str, list[Interval]] = {}
        for keyed in by_backend.values():
            client, _ = await self.client(refs[next(iter(keyed))])
            answer = await client.busy_of(sorted(set(keyed.values())), start, end)
            found |= {key: answer[address] for key, address in keyed.items()}
        return found


@asynccontextmanager
async def calendars(settings: Settings) -> AsyncIterator[Calendars]:
    async with AsyncExitStack() as stack:
        yield Calendars(settings, stack)
