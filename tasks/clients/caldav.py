"""The CalDAV boundary: busy times, holds and bookings on staff and room calendars.

Holds are events at a stable href (``<calendar>/<uid>.ics``), so placing, confirming and
releasing are idempotent. Busy time is a time-range search with recurrences expanded (a weekly
meeting blocks every week); cancelled and transparent events are free.

No double bookings: an ETag protects one event, not a time range, so each calendar carries one
reservation ledger (``secondround-ledger.ics``, its content in ``tasks.clients.reservations``).
A hold first adds itself to the ledger with ``If-Match`` on the ledger's ETag (or
``If-None-Match: *`` for the first), after checking that no other hold there overlaps it; two
runs racing for overlapping times cannot both win, the loser re-reads and finds the clash.

Errors (``config.errors``): ``TransientChannelError`` for 5xx, timeouts and refused connections;
``TerminalChannelError`` for 401/403 and a calendar that does not exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from caldav import aio
from caldav.lib.error import AuthorizationError, RateLimitError
from icalendar import Calendar

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings
from tasks.clients.reservations import (
    Change,
    Entry,
    hold_event,
    ledger_ics,
    read_ledger,
    update_ledger,
    with_entry,
    without_entry,
)

LEDGER = "secondround-ledger.ics"
Interval = tuple[datetime, datetime]


class CalDav:
    def __init__(self, client: aio.AsyncDAVClient, settings: Settings) -> None:
        self.client = client
        self.settings = settings

    async def _call(self, url: str, method: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
        try:
            async with asyncio.timeout(self.settings.caldav_timeout_seconds):
                response = await self.client.request(url, method, body, headers or {})
        except AuthorizationError as error:
            raise TerminalChannelError("calendar", f"{method} {url}: 401, check the CalDAV login") from error
        except (TimeoutError, OSError, RateLimitError) as error:
            raise TransientChannelError("calendar", f"{method} {url}: {error!r}") from error
        if response.status >= 500:
            raise TransientChannelError("calendar", f"{method} {url}: {response.status}")
        if response.status in (401, 403):
            raise TerminalChannelError("calendar", f"{method} {url}: {response.status}, check the CalDAV login")
        return response

    async def ensure(self, calendar: str) -> None:
        """A missing calendar: created in the sandbox, an error otherwise."""
        found = await self._call(calendar, "PROPFIND", "", {"Depth": "0"})
        if found.status != 404:
            return
        if not self.settings.caldav_create_missing:
            raise TerminalChannelError("calendar", f"{calendar} does not exist")
        made = await self._call(calendar, "MKCALENDAR")
        if made.status in (405, 409):  # another run made it meanwhile (Radicale: 409 resource-must-be-null)
            made = await self._call(calendar, "PROPFIND", "", {"Depth": "0"})
        if made.status not in (201, 207):
            raise TransientChannelError("calendar", f"MKCALENDAR {calendar}: {made.status}")

    async def busy_of(self, calendars: list[str], start: datetime, end: datetime) -> dict[str, list[Interval]]:
        """CalDAV asks one collection at a time."""
        return {calendar: await self.busy(calendar, start, end) for calendar in calendars}

    async def busy(self, calendar: str, start: datetime, end: datetime) -> list[Interval]:
        await self.ensure(calendar)
        try:
            collection: Any = aio.Calendar(client=cast(Any, self.client), url=calendar)  # dual sync/async API
            found = await collection.search(start=start, end=end, event=True, expand=True)
        except Exception as error:  # the library raises its own tree for HTTP and parse errors
            raise TransientChannelError("calendar", f"search {calendar}: {error!r}") from error
        spans = []
        for item in found:
            event = item.icalendar_component
            if str(event.get("status", "")).upper() == "CANCELLED" or str(event.get("transp", "")) == "TRANSPARENT":
                continue
            first = event["dtstart"].dt
            last = event["dtend"].dt if "dtend" in event else first + event["duration"].dt
            if isinstance(first, datetime) and isinstance(last, datetime):
                spans.append((first.astimezone(timezone.utc), last.astimezone(timezone.utc)))
            else:  # an all-day event: the whole day, in UTC terms generously
                spans.append((_day(first), _day(last)))
        return sorted(spans)

    async def events(self, calendar: str, start: datetime, end: datetime) -> list[tuple[str, str]]:
        """(UID, STATUS) of the events between ``start`` and ``end``, recurrences not expanded."""
        await self.ensure(calendar)
        collection: Any = aio.Calendar(client=cast(Any, self.client), url=calendar)
        found = await collection.search(start=start, end=end, event=True)
        return sorted((str(i.icalendar_component["uid"]), str(i.icalendar_component.get("status", ""))) for i in found)

    async def read_ledger(self, calendar: str) -> tuple[list[Entry], str | None]:
        response = await self._call(calendar + LEDGER, "GET")
        if response.status == 404:
            return [], None
        return read_ledger(response.raw), response.headers.get("etag")

    async def write_ledger(self, calendar: str, entries: list[Entry], etag: str | None) -> bool:
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        response = await self._call(
            calendar + LEDGER,
            "PUT",
            ledger_ics(entries, self.settings.mail_domain),
            {"Content-Type": "text/calendar", **condition},
        )
        return response.status in (200, 201, 204)  # 412: someone wrote first; re-read and decide again

    async def _update_ledger(self, calendar: str, change: Change) -> None:
        await update_ledger(self, calendar, change, name=calendar)

    async def reserve(self, calendar: str, entry: Entry, *, guard: timedelta) -> None:
        """Add ``entry`` to the calendar's ledger, or raise ``Clash`` if another overlaps it."""
        await self.ensure(calendar)
        await self._update_ledger(calendar, lambda entries: with_entry(entries, entry, guard=guard))

    async def unreserve(self, calendar: str, uid: str) -> None:
        await self._update_ledger(calendar, lambda entries: without_entry(entries, uid))

    async def put_event(self, calendar: str, uid: str, ics: str) -> None:
        response = await self._call(f"{calendar}{_href(uid)}", "PUT", ics, {"Content-Type": "text/calendar"})
        if response.status not in (200, 201, 204):
            raise TerminalChannelError("calendar", f"PUT {uid}: {response.status}")

    async def get_event(self, calendar: str, uid: str) -> tuple[Calendar, str] | None:
        response = await self._call(f"{calendar}{_href(uid)}", "GET")
        if response.status == 404:
            return None
        return Calendar.from_ical(response.raw), response.headers.get("etag", "")

    async def replace_event(self, calendar: str, uid: str, ics: str, *, etag: str) -> bool:
        headers = {"Content-Type": "text/calendar", "If-Match": etag}
        response = await self._call(f"{calendar}{_href(uid)}", "PUT", ics, headers)
        return response.status in (200, 201, 204)

    async def delete_event(self, calendar: str, uid: str) -> None:
        """Delete the version we read (``If-Match``): one changed meanwhile is read again first."""
        for _ in range(10):
            found = await self.get_event(calendar, uid)
            if found is None:
                return
            response = await self._call(f"{calendar}{_href(uid)}", "DELETE", "", {"If-Match": found[1]})
            if response.status in (200, 204, 404):
                return
            if response.status != 412:
                raise TerminalChannelError("calendar", f"DELETE {uid}: {response.status}")
        raise TransientChannelError("calendar", f"{uid}: kept changing while we released it")

    async def hold(self, calendar: str, entry: Entry, *, summary: str, guard: timedelta) -> None:
        """Reserve, then write the tentative event. Raises ``Clash``; a replay changes nothing."""
        await self.reserve(calendar, entry, guard=guard)
        await self.put_event(calendar, entry.uid, hold_event(entry, summary=summary))

    async def confirm(self, calendar: str, uid: str, *, summary: str, description: str) -> bool:
        """Turn the hold into a booking; False if it is gone (released meanwhile)."""
        for _ in range(10):
            found = await self.get_event(calendar, uid)
            if found is None:
                return False
            cal, etag = found
            event = cal.walk("VEVENT")[0]
            for name, value in (("status", "CONFIRMED"), ("summary", summary), ("description", description)):
                event.pop(name, None)
                event.add(name, value)
            if await self.replace_event(calendar, uid, cal.to_ical().decode(), etag=etag):
                return True  # 412 means it changed under us: read it again
        raise TransientChannelError("calendar", f"{uid}: kept changing while we confirmed it")

    async def meeting_link(self, calendar: str, uid: str) -> str | None:
        """CalDAV has no video meetings: a video round on CalDAV calendars names its own link."""
        raise TerminalChannelError(
            "calendar", f"{calendar}: a CalDAV calendar cannot make a meeting link: set plan.meeting_link"
        )

    async def release(self, calendar: str, uid: str) -> None:
        """Delete the event, then the reservation: a crash in between leaves it reserved, never
        double-booked, and the replay finishes the job."""
        await self.delete_event(calendar, uid)
        await self.unreserve(calendar, uid)


def _href(uid: str) -> str:
    return uid.replace("@", "-at-") + ".ics"


def _day(value: Any) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)


@asynccontextmanager
async def caldav(settings: Settings) -> AsyncIterator[CalDav]:
    async with aio.AsyncDAVClient(
        url=settings.caldav_url or "http://127.0.0.1/",
        username=settings.caldav_username or None,
        password=settings.caldav_password.get_secret_value() or None,
        auth_type="basic" if settings.caldav_username else None,  # no 401 probe per client: runs share none
        timeout=int(settings.caldav_timeout_seconds),
        rate_limit_handle=True,  # a 429 or 503 with Retry-After: wait as told, up to half a minute in all
        rate_limit_default_sleep=1,
        rate_limit_max_sleep=30,
    ) as client:
        yield CalDav(client, settings)
