"""The Google Calendar client: busy time, holds, bookings and releases on Google calendars
(``google:<calendar id>``) with the official ``google-api-python-client`` and ``google-auth``.

A service account with domain-wide delegation acts as each calendar's owner (a user's calendar:
that user; a resource calendar: ``SECONDROUND_GOOGLE_DELEGATE``), scope ``.../auth/calendar``.
The client library is synchronous: each request runs in a worker thread.
- Busy time: ``freeBusy.query``, at most 50 calendars a query.
- A hold: a reservation in the calendar's ledger (``tasks.clients.reservations``; one free event
  with a fixed id in the year 2000, rewritten only with ``If-Match`` on its etag, so two runs
  racing for overlapping times cannot both win), then a tentative, opaque event whose id we
  choose from the hold's key: a retried insert meets its own event (409) instead of a second.
- A booking: ``events.patch`` with ``If-Match`` (412: read it again); for a video interview, a
  Meet link (``conferenceData.createRequest``). A release: ``events.delete``, then the reservation.

Errors: ``rateLimitExceeded`` (403 or 429) and 5xx are retried with back-off, then transient;
401/403 otherwise terminal, naming the calendar and the delegation it needs.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings
from tasks.clients.logins import GOOGLE_SCOPE, google_services
from tasks.clients.reservations import (
    Change,
    Entry,
    entries_from_json,
    entries_json,
    update_ledger,
    with_entry,
    without_entry,
)

LEDGER_ID = "secondroundledger0"  # base32hex, as Google wants a client-chosen id
LEDGER_AT = datetime(2000, 1, 1, tzinfo=timezone.utc)
FREEBUSY_MAX = 50  # calendars a freeBusy query may name
Interval = tuple[datetime, datetime]
QUOTA = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"}
NEEDS = f"the service account needs domain-wide delegation of {GOOGLE_SCOPE} for this calendar's owner"


def event_id(uid: str) -> str:
    """Our hold's event id: hex is base32hex, and the key's hash keeps it short and fixed."""
    return hashlib.sha256(uid.encode()).hexdigest()[:40]


def _when(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _free_busy(service: Any, *, start: datetime, end: datetime, items: list[dict[str, str]]) -> Any:
    body = {"timeMin": _when(start)["dateTime"], "timeMax": _when(end)["dateTime"], "items": items}
    return service.freebusy().query(body=body)


def _spans(calendar: str, info: dict[str, Any]) -> list[Interval]:
    if info.get("errors"):  # Google answers per calendar: notFound, or no right to its free/busy
        reasons = ", ".join(str(e.get("reason")) for e in info["errors"])
        raise TerminalChannelError("calendar", f"google:{calendar}: free/busy not readable ({reasons}): {NEEDS}")
    parse = datetime.fromisoformat
    busy = info.get("busy", [])
    return sorted((parse(b["start"].replace("Z", "+00:00")), parse(b["end"].replace("Z", "+00:00"))) for b in busy)


def _reason(error: HttpError) -> str:
    try:
        return str(json.loads(error.content)["error"]["errors"][0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


class GoogleCalendars:
    def __init__(self, service_for: Callable[[str], Any]) -> None:
        self.service_for = service_for  # a Calendar service acting as the calendar's owner

    async def _run(
        self, calendar: str, make: Callable[[Any], Any], *, if_match: str = "", absent: tuple[int, ...] = ()
    ) -> Any:
        """One request, in a thread; quota errors and 5xx backed off; None for an ``absent`` status
        (a 404 on a read, a 409 on a repeated insert, a 412 on a stale etag)."""
        for attempt in range(6):
            request = make(self.service_for(calendar))
            if if_match:
                request.headers["If-Match"] = if_match
            try:
                return await asyncio.to_thread(request.execute)
            except HttpError as error:
                status, reason = error.resp.status, _reason(error)
                if status in absent:
                    return None
                if status in (401, 403) and reason not in QUOTA:
                    raise TerminalChannelError(
                        "calendar", f"google:{calendar}: Google refused ({status}): {NEEDS}"
                    ) from error
                if status not in (403, 429) and status < 500:
                    raise TerminalChannelError("calendar", f"google:{calendar}: {status} {reason}") from error
                if attempt == 5:
                    raise TransientChannelError(
                        "calendar", f"google:{calendar}: {status} {reason or 'server error'}"
                    ) from error
            except RefreshError as error:
                raise TerminalChannelError(
                    "calendar",
                    f"google:{calendar}: Google refused our login (service account or refresh token): {error}",
                ) from error
            except (OSError, httplib2.HttpLib2Error) as error:
                raise TransientChannelError("calendar", f"google:{calendar}: cannot reach Google: {error}") from error
            await asyncio.sleep(random.uniform(0, min(8.0, 0.25 * 2**attempt)))
        raise AssertionError("unreachable")

    async def busy(self, calendar: str, start: datetime, end: datetime) -> list[Interval]:
        return (await self.busy_of([calendar], start, end))[calendar]

    async def busy_of(self, calendars: list[str], start: datetime, end: datetime) -> dict[str, list[Interval]]:
        """Busy times of many calendars, ``freeBusy.query`` for up to 50 at a time."""
        found: dict[str, list[Interval]] = {}
        for batch in (calendars[at : at + FREEBUSY_MAX] for at in range(0, len(calendars), FREEBUSY_MAX)):
            items = [{"id": calendar} for calendar in batch]
            answer = await self._run(batch[0], partial(_free_busy, start=start, end=end, items=items))
            for calendar in batch:
                found[calendar] = _spans(calendar, answer["calendars"].get(calendar, {}))
        return found

    async def read_ledger(self, calendar: str) -> tuple[list[Entry], str]:
        found = await self._run(
            calendar, lambda s: s.events().get(calendarId=calendar, eventId=LEDGER_ID), absent=(404,)
        )
        if found is None:
            body: dict[str, Any] = {
                "id": LEDGER_ID,
                "summary": "secondround reservations",
                "transparency": "transparent",
            }
            body |= {"start": _when(LEDGER_AT), "end": _when(LEDGER_AT + timedelta(minutes=1)), "description": "[]"}
            await self._run(calendar, lambda s: s.events().insert(calendarId=calendar, body=body), absent=(409,))
            found = await self._run(
                calendar, lambda s: s.events().get(calendarId=calendar, eventId=LEDGER_ID), absent=(404,)
            )
            if found is None:
                raise TransientChannelError("calendar", f"google:{calendar}: the reservation ledger is not visible yet")
        return entries_from_json(found.get("description")), str(found["etag"])

    async def write_ledger(self, calendar: str, entries: list[Entry], etag: str) -> bool:
        body = {"description": entries_json(entries)}
        patch = partial(_patch_event, calendar=calendar, event=LEDGER_ID, body=body)
        patched = await self._run(calendar, patch, if_match=etag, absent=(412,))
        return patched is not None  # None: 412, another run wrote first; read again and decide again

    async def _update_ledger(self, calendar: str, change: Change) -> None:
        await update_ledger(self, calendar, change, name=f"google:{calendar}")

    async def hold(self, calendar: str, entry: Entry, *, summary: str, guard: timedelta) -> None:
        await self._update_ledger(calendar, lambda entries: with_entry(entries, entry, guard=guard))
        body: dict[str, Any] = {
            "id": event_id(entry.uid),
            "summary": summary,
            "status": "tentative",
            "transparency": "opaque",
        }
        body |= {"start": _when(entry.start), "end": _when(entry.end), "description": entry.uid}
        insert = lambda s: s.events().insert(calendarId=calendar, body=body)  # noqa: E731
        await self._run(calendar, insert, absent=(409,))  # 409: inserted before, by a run that crashed after

    async def _patch_hold(self, calendar: str, uid: str, body: dict[str, Any], **query: Any) -> Any:
        """Patch our event with ``If-Match`` on its etag, reading again when it changed under us;
        None when it is gone (released meanwhile, or deleted by hand)."""
        for _ in range(10):
            get = lambda s: s.events().get(calendarId=calendar, eventId=event_id(uid))  # noqa: E731
            found = await self._run(calendar, get, absent=(404,))
            if found is None or found.get("status") == "cancelled":
                return None
            if query.get("conferenceDataVersion") and _video_uri(found):
                return found  # the meeting was made before (a replay): Google would keep it anyway
            patch = partial(_patch_event, calendar=calendar, event=event_id(uid), body=body, **query)
            patched = await self._run(calendar, patch, if_match=str(found["etag"]), absent=(412,))
            if patched is not None:
                return patched
        raise TransientChannelError("calendar", f"google:{calendar}: {uid} kept changing while we wrote to it")

    async def confirm(self, calendar: str, uid: str, *, summary: str, description: str) -> bool:
        body = {"status": "confirmed", "summary": summary, "description": description}
        return await self._patch_hold(calendar, uid, body) is not None

    async def meeting_link(self, calendar: str, uid: str) -> str | None:
        """A Google Meet link on the booked event, asked for once: its requestId is the event's id."""
        create = {"requestId": event_id(uid), "conferenceSolutionKey": {"type": "hangoutsMeet"}}
        event = await self._patch_hold(
            calendar, uid, {"conferenceData": {"createRequest": create}}, conferenceDataVersion=1
        )
        if event is not None and not _video_uri(event):  # Google answers "pending" while it makes one
            raise TransientChannelError("calendar", f"google:{calendar}: the Meet link is not ready yet")
        return None if event is None else _video_uri(event)

    async def release(self, calendar: str, uid: str) -> None:
        """Delete the event, then the reservation: a crash in between leaves it reserved, never
        double-booked, and the replay finishes the job."""
        delete = lambda s: s.events().delete(calendarId=calendar, eventId=event_id(uid))  # noqa: E731
        await self._run(calendar, delete, absent=(404, 410))  # gone already: a replay
        await self._update_ledger(calendar, lambda entries: without_entry(entries, uid))


def _patch_event(service: Any, *, calendar: str, event: str, body: dict[str, Any], **query: Any) -> Any:
    return service.events().patch(calendarId=calendar, eventId=event, body=body, **query)


def _video_uri(event: dict[str, Any]) -> str:
    points = event.get("conferenceData", {}).get("entryPoints", [])
    return next((str(p["uri"]) for p in points if p.get("entryPointType") == "video"), "")


@asynccontextmanager
async def google(settings: Settings) -> AsyncIterator[GoogleCalendars]:
    """Calendar services for the configured service account (``tasks.clients.logins``)."""
    yield GoogleCalendars(google_services(settings))
