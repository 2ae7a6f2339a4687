"""The reservation ledger and hold events as iCalendar, independent of the calendar protocol.

A calendar's ledger is one transparent event far in the past whose description lists our holds
(uid, start, end) as JSON. ``with_entry`` adds a hold unless another overlaps it (``Clash``);
``update_ledger`` is the optimistic loop every backend shares: read the ledger and its version
(an ETag), decide, write only if that version is still current, else read again. So two
writers racing for overlapping times cannot both win. Hold events are tentative and opaque, with fixed bytes for a
given hold so that a replay writes the same thing.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol, TypeVar

from icalendar import Calendar, Event

from config.errors import TransientChannelError

_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Entry:
    uid: str
    start: datetime
    end: datetime


class Clash(Exception):
    """Another hold on this calendar overlaps the time asked for."""


def with_entry(entries: list[Entry], entry: Entry, *, guard: timedelta) -> list[Entry] | None:
    """The ledger with ``entry`` added (None: it is there already); ``Clash`` if another overlaps."""
    mine = [e for e in entries if e.uid == entry.uid]
    if mine and mine[0] == entry:
        return None  # reserved before (a replay): nothing to write
    for other in entries:
        if other.uid != entry.uid and other.start < entry.end + guard and entry.start < other.end + guard:
            raise Clash(f"held by {other.uid.split('@')[0]} from {other.start:%Y-%m-%d %H:%M}Z")
    return [e for e in entries if e.uid != entry.uid] + [entry]


def without_entry(entries: list[Entry], uid: str) -> list[Entry] | None:
    """The ledger without ``uid`` (None: it was not there)."""
    return [e for e in entries if e.uid != uid] if any(e.uid == uid for e in entries) else None


Change = Callable[[list[Entry]], "list[Entry] | None"]
Version = TypeVar("Version")


class LedgerStore(Protocol[Version]):
    """How one backend reads a calendar's ledger with its version, and writes it if unchanged."""

    async def read_ledger(self, calendar: str) -> tuple[list[Entry], Version]: ...

    async def write_ledger(self, calendar: str, entries: list[Entry], version: Version) -> bool:
        """False: another writer got there first (a 412)."""
        ...


async def update_ledger(store: LedgerStore[Version], calendar: str, change: Change, *, name: str) -> None:
    """Apply ``change`` to the ledger, reading again whenever another writer got there first."""
    for attempt in range(20):
        entries, version = await store.read_ledger(calendar)
        updated = change(entries)
        if updated is None or await store.write_ledger(calendar, updated, version):
            return
        await asyncio.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # spread the racers out
    raise TransientChannelError("calendar", f"{name}: the reservation ledger stayed contended")


def entries_json(entries: list[Entry]) -> str:
    return json.dumps([{"uid": e.uid, "start": e.start.isoformat(), "end": e.end.isoformat()} for e in entries])


def entries_from_json(text: str | None) -> list[Entry]:
    rows = json.loads(text or "[]")
    return [Entry(r["uid"], datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])) for r in rows]


def read_ledger(raw: bytes | str) -> list[Entry]:
    component = Calendar.from_ical(raw).walk("VEVENT")[0]
    return entries_from_json(str(component.get("description", "[]")))


def ledger_ics(entries: list[Entry], domain: str) -> str:
    cal = Calendar()
    cal.add("prodid", "-//secondround//reservations//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"secondround-ledger@{domain}")
    event.add("dtstamp", _EPOCH)
    event.add("dtstart", _EPOCH)
    event.add("dtend", _EPOCH + timedelta(minutes=1))
    event.add("transp", "TRANSPARENT")
    event.add("summary", "secondround reservations (kept by secondround, please leave alone)")
    event.add("description", entries_json(entries))
    cal.add_component(event)
    ics: bytes = cal.to_ical()
    return ics.decode()


def hold_event(entry: Entry, *, summary: str) -> str:
    cal = Calendar()
    cal.add("prodid", "-//secondround//holds//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", entry.start - timedelta(days=1))  # fixed: a replay writes the same bytes
    event.add("dtstart", entry.start)
    event.add("dtend", entry.end)
    event.add("summary", summary)
    event.add("status", "TENTATIVE")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    ics: bytes = cal.to_ical()
    return ics.decode()
