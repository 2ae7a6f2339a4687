"""The Microsoft Graph calendar client: busy time, holds, bookings and releases on user and room
mailboxes (``microsoft:<mailbox>`` calendars), over Graph's REST API with ``httpx``; tokens by
client credentials through ``msal`` (not ``msgraph-sdk``: hundreds of MB, for a few requests).

- Busy time: ``calendar/getSchedule``, in windows under 42 days (Graph's limit).
- A hold: first a reservation in the mailbox's ledger (``tasks.clients.reservations``; the
  ledger is one free event in the year 2000 whose body lists our holds, rewritten only with
  ``If-Match`` on its ``@odata.etag``, so two runs racing for overlapping times cannot both win),
  then a tentative event whose ``transactionId`` is the hold's uid: Graph's own guard against a
  repeated create (a retry after a crash finds its event instead of making a second).
- A booking: ``PATCH`` with ``If-Match`` (412: it changed, read it again); for a video interview,
  a Teams meeting (``isOnlineMeeting``). A release: ``DELETE``, then the reservation.

Errors: 429 and 503 are waited out (``Retry-After``), then transient; 5xx and timeouts
transient; 401/403 terminal, naming the mailbox and the application permission it needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings
from tasks.clients.logins import graph_token
from tasks.clients.reservations import (
    Change,
    Entry,
    entries_from_json,
    entries_json,
    update_ledger,
    with_entry,
    without_entry,
)

LEDGER_ID = "secondround-ledger"
LEDGER_AT = datetime(2000, 1, 1, tzinfo=timezone.utc)
WINDOW = timedelta(days=41)  # getSchedule takes windows under 42 days
SCHEDULES_MAX = 20  # and at most 20 schedules a request
Interval = tuple[datetime, datetime]
PERMISSION = "the app needs the Calendars.ReadWrite application permission, with admin consent"


def _when(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _windows(start: datetime, end: datetime) -> list[datetime]:
    return [start + n * WINDOW for n in range(int((end - start) / WINDOW) + 1) if start + n * WINDOW < end]


def _items(schedule: dict[str, Any]) -> set[Interval]:
    if "error" in schedule:  # Graph answers per mailbox: not found, or no right to read it
        detail = schedule["error"].get("message") or schedule["error"].get("responseCode")
        raise TerminalChannelError("calendar", f"microsoft:{schedule['scheduleId']}: getSchedule: {detail}")
    return {(_parse(i["start"]), _parse(i["end"])) for i in schedule.get("scheduleItems", [])}


def _parse(value: dict[str, str]) -> datetime:
    return datetime.fromisoformat(value["dateTime"][:19]).replace(tzinfo=timezone.utc)


class GraphCalendars:
    def __init__(self, http: httpx.AsyncClient, token: Callable[[], str]) -> None:
        self.http, self.token = http, token

    async def _call(self, method: str, path: str, mailbox: str, **kwargs: Any) -> httpx.Response:
        for _ in range(6):
            headers = {"Authorization": f"Bearer {await asyncio.to_thread(self.token)}", **kwargs.pop("headers", {})}
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TimeoutException as error:
                raise TransientChannelError("calendar", f"{mailbox}: no answer from Graph") from error
            except httpx.TransportError as error:
                raise TransientChannelError("calendar", f"{mailbox}: cannot reach Graph: {error}") from error
            if response.status_code not in (429, 503):
                break
            await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), 30.0))
        if response.status_code in (401, 403):
            raise TerminalChannelError(
                "calendar", f"microsoft:{mailbox}: Graph refused ({response.status_code}): {PERMISSION}"
            )
        if response.status_code in (429, 503) or response.status_code >= 500:
            raise TransientChannelError("calendar", f"microsoft:{mailbox}: Graph answered {response.status_code}")
        return response

    async def busy(self, calendar: str, start: datetime, end: datetime) -> list[Interval]:
        return (await self.busy_of([calendar], start, end))[calendar]

    async def busy_of(self, calendars: list[str], start: datetime, end: datetime) -> dict[str, list[Interval]]:
        """Busy times of many mailboxes: ``getSchedule`` for up to 20 at a time, windows under 42 days."""
        found: dict[str, set[Interval]] = {calendar.lower(): set() for calendar in calendars}
        for batch in (calendars[at : at + SCHEDULES_MAX] for at in range(0, len(calendars), SCHEDULES_MAX)):
            for since in _windows(start, end):
                body = {"schedules": batch, "startTime": _when(since), "endTime": _when(min(end, since + WINDOW))}
                path = f"/users/{batch[0]}/calendar/getSchedule"
                response = await self._call("POST", path, batch[0], json=body | {"availabilityViewInterval": 15})
                _expect(response, batch[0], "getSchedule", 200)
                for schedule in response.json()["value"]:
                    found[schedule["scheduleId"].lower()] |= _items(schedule)
        return {calendar: sorted(found[calendar.lower()]) for calendar in calendars}

    async def _find(self, calendar: str, transaction: str, start: datetime, end: datetime) -> dict[str, Any] | None:
        """Our event by its transactionId, among the events of its own time (a calendar view)."""
        query = {"startDateTime": start.isoformat(), "endDateTime": end.isoformat(), "$top": "100"}
        response = await self._call("GET", f"/users/{calendar}/calendarView", calendar, params=query)
        _expect(response, calendar, "calendarView", 200)
        return next((e for e in response.json()["value"] if e.get("transactionId") == transaction), None)

    async def read_ledger(self, calendar: str) -> tuple[list[Entry], dict[str, Any]]:
        found = await self._find(calendar, LEDGER_ID, LEDGER_AT, LEDGER_AT + timedelta(hours=1))
        if found is None:
            body: dict[str, Any] = {"subject": "secondround reservations", "showAs": "free", "transactionId": LEDGER_ID}
            body |= {"start": _when(LEDGER_AT), "end": _when(LEDGER_AT + timedelta(minutes=1)), "body": _body([])}
            made = await self._call("POST", f"/users/{calendar}/calendar/events", calendar, json=body)
            if made.status_code != 409:  # 409: another run made it first
                _expect(made, calendar, "create the ledger", 201)
            found = await self._find(calendar, LEDGER_ID, LEDGER_AT, LEDGER_AT + timedelta(hours=1))
            if found is None:
                raise TransientChannelError(
                    "calendar", f"microsoft:{calendar}: the reservation ledger is not visible yet"
                )
        return entries_from_json(found.get("body", {}).get("content")), found

    async def write_ledger(self, calendar: str, entries: list[Entry], ledger: dict[str, Any]) -> bool:
        headers = {"If-Match": ledger["@odata.etag"]}
        path = f"/users/{calendar}/events/{ledger['id']}"
        response = await self._call("PATCH", path, calendar, json={"body": _body(entries)}, headers=headers)
        if response.status_code == 412:  # another run wrote first: read again and decide again
            return False
        _expect(response, calendar, "update the ledger", 200)
        return True

    async def _update_ledger(self, calendar: str, change: Change) -> None:
        await update_ledger(self, calendar, change, name=f"microsoft:{calendar}")

    async def hold(self, calendar: str, entry: Entry, *, summary: str, guard: timedelta) -> None:
        """Reserve, then create the tentative event (once: its transactionId is the hold's uid)."""
        await self._update_ledger(calendar, lambda entries: with_entry(entries, entry, guard=guard))
        body: dict[str, Any] = {"subject": summary, "showAs": "tentative", "transactionId": entry.uid}
        body |= {"start": _when(entry.start), "end": _when(entry.end)}
        response = await self._call("POST", f"/users/{calendar}/calendar/events", calendar, json=body)
        if response.status_code != 409:  # 409: created before (a retry after a crash)
            _expect(response, calendar, "create the hold", 201)

    async def _event(self, calendar: str, uid: str) -> dict[str, Any] | None:
        entries, _ = await self.read_ledger(calendar)
        mine = next((e for e in entries if e.uid == uid), None)
        return await self._find(calendar, uid, mine.start, mine.end) if mine else None

    async def _patch_hold(self, calendar: str, uid: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """Patch our event with ``If-Match`` on its etag, reading again when it changed under us;
        None when it is gone (released meanwhile, or deleted by hand)."""
        for _ in range(10):
            event = await self._event(calendar, uid)
            if event is None:
                return None
            if body.get("isOnlineMeeting") and _join_url(event):
                return event  # the meeting was made before (a replay)
            path, headers = f"/users/{calendar}/events/{event['id']}", {"If-Match": event["@odata.etag"]}
            response = await self._call("PATCH", path, calendar, json=body, headers=headers)
            if response.status_code == 404:
                return None
            if response.status_code != 412:
                _expect(response, calendar, "update the hold", 200)
                patched: dict[str, Any] = response.json()
                return patched
        raise TransientChannelError("calendar", f"microsoft:{calendar}: {uid} kept changing while we wrote to it")

    async def confirm(self, calendar: str, uid: str, *, summary: str, description: str) -> bool:
        """Turn the hold into a booking; False if it is gone (released meanwhile, or by hand)."""
        body = {"showAs": "busy", "subject": summary, "body": {"contentType": "text", "content": description}}
        return await self._patch_hold(calendar, uid, body) is not None

    async def meeting_link(self, calendar: str, uid: str) -> str | None:
        """A Teams meeting on the booked event (``isOnlineMeeting``): its join URL."""
        event = await self._patch_hold(
            calendar, uid, {"isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness"}
        )
        if event is not None and not _join_url(event):
            raise TransientChannelError("calendar", f"microsoft:{calendar}: Graph gave the meeting no join URL yet")
        return None if event is None else _join_url(event)

    async def release(self, calendar: str, uid: str) -> None:
        """Delete the event, then the reservation: a crash in between leaves it reserved, never
        double-booked, and the replay finishes the job."""
        for _ in range(10):
            event = await self._event(calendar, uid)
            if event is None:
                break
            headers = {"If-Match": event["@odata.etag"]}
            response = await self._call("DELETE", f"/users/{calendar}/events/{event['id']}", calendar, headers=headers)
            if response.status_code in (204, 404):
                break
            _expect(response, calendar, "release the hold", 412)
        await self._update_ledger(calendar, lambda entries: without_entry(entries, uid))


def _join_url(event: dict[str, Any]) -> str:
    return str((event.get("onlineMeeting") or {}).get("joinUrl") or "")


def _body(entries: list[Entry]) -> dict[str, str]:
    return {"contentType": "text", "content": entries_json(entries)}


def _expect(response: httpx.Response, calendar: str, what: str, status: int) -> None:
    if response.status_code != status:
        raise TerminalChannelError(
            "calendar", f"microsoft:{calendar}: {what}: Graph answered {response.status_code}: {response.text[:200]}"
        )


@asynccontextmanager
async def graph(settings: Settings) -> AsyncIterator[GraphCalendars]:
    """A Graph client for the configured app registration (its login: ``tasks.clients.logins``)."""
    token = graph_token(settings)
    verify: str | bool = str(settings.graph_ca_file) if settings.graph_ca_file else True
    timeout = settings.graph_timeout_seconds
    async with httpx.AsyncClient(base_url=settings.graph_api_url.rstrip("/"), verify=verify, timeout=timeout) as http:
        yield GraphCalendars(http, token)
