"""A Google Calendar API v3 stand-in that behaves: the model behind ``sandbox/gcal_api.py``.

Events are stored per calendar id (a user's address or a resource calendar). An insert may
choose the event's id (base32hex, 5 to 1024 characters, as Google requires); a second insert
with the same id is refused with 409 ``duplicate``, so a retried insert finds its own event.
Each event has an ``etag`` that changes on every write; ``If-Match`` with a stale one gets 412
``conditionNotMet``. ``free_busy`` answers ``freeBusy.query``: the busy spans of each calendar
in a window, recurrences (RRULE) expanded, all-day events as whole days, transparent and
cancelled events left out.

Pure: no HTTP here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")


class GoogleError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message

    def body(self) -> dict[str, Any]:
        errors = [{"domain": "global", "reason": self.reason, "message": self.message}]
        return {"error": {"code": self.status, "message": self.message, "errors": errors}}


def when(value: dict[str, str]) -> tuple[datetime, ZoneInfo | timezone]:
    """Google's ``{dateTime, timeZone}`` or ``{date}`` as an aware datetime and its zone."""
    zone: ZoneInfo | timezone = ZoneInfo(value["timeZone"]) if value.get("timeZone") else timezone.utc
    if "date" in value:
        return datetime.combine(date.fromisoformat(value["date"]), time(0), zone), zone
    stamp = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=zone)), zone


def rfc3339(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Event:
    id: str
    data: dict[str, Any]
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.id[-10:]}{self.version:04d}"'

    def resource(self) -> dict[str, Any]:
        return {"kind": "calendar#event", **self.data, "id": self.id, "etag": self.etag}

    def busy(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        if self.data.get("status") == "cancelled" or self.data.get("transparency") == "transparent":
            return []
        first, zone = when(self.data["start"])
        length = when(self.data["end"])[0] - first
        rules = [r for r in self.data.get("recurrence", []) if r.startswith("RRULE:")]
        if not rules:
            return [(first, first + length)] if first < end and start < first + length else []
        local = first.astimezone(zone).replace(tzinfo=None)  # RRULEs run on the event's wall clock
        series = rrulestr(rules[0].removeprefix("RRULE:"), dtstart=local)
        found = []
        for at in series.between(
            start.astimezone(zone).replace(tzinfo=None) - length, end.astimezone(zone).replace(tzinfo=None), inc=True
        ):
            begins = at.replace(tzinfo=zone)
            if begins < end and start < begins + length:
                found.append((begins, begins + length))
        return found


class GoogleCalendar:
    def __init__(self) -> None:
        self.calendars: dict[str, dict[str, Event]] = {}

    def events(self, calendar: str) -> dict[str, Event]:
        return self.calendars.setdefault(calendar.lower(), {})

    def insert(self, calendar: str, body: dict[str, Any], *, conference: bool = False) -> Event:
        chosen = body.get("id")
        if chosen is not None and not EVENT_ID.match(chosen):
            raise GoogleError(400, "invalid", f"Invalid resource id value: {chosen!r} (base32hex, 5 to 1024)")
        if chosen in self.events(calendar):
            raise GoogleError(409, "duplicate", "The requested identifier already exists.")
        if "start" not in body or "end" not in body:
            raise GoogleError(400, "required", "Missing end time." if "start" in body else "Missing start time.")
        data = {"status": "confirmed", **{k: v for k, v in body.items() if k != "id"}}
        event = Event(id=chosen or uuid4().hex, data=_conference(data, {}, made=conference))
        self.events(calendar)[event.id] = event
        return event

    def get(self, calendar: str, event_id: str) -> Event:
        found = self.events(calendar).get(event_id)
        if found is None:
            raise GoogleError(404, "notFound", "Not Found")
        return found

    def _checked(self, calendar: str, event_id: str, if_match: str | None) -> Event:
        event = self.get(calendar, event_id)
        if if_match and if_match != event.etag:
            raise GoogleError(412, "conditionNotMet", "Precondition Failed")
        return event

    def patch(
        self, calendar: str, event_id: str, body: dict[str, Any], *, if_match: str | None, conference: bool = False
    ) -> Event:
        """``conference``: the request said ``conferenceDataVersion=1``; without it Google leaves
        conference data alone."""
        event = self._checked(calendar, event_id, if_match)
        changes = {k: v for k, v in body.items() if k not in ("id", "etag")}
        event.data.update(_conference(changes, event.data, made=conference))
        event.version += 1
        return event

    def delete(self, calendar: str, event_id: str, *, if_match: str | None) -> None:
        self._checked(calendar, event_id, if_match)
        del self.events(calendar)[event_id]

    def free_busy(self, ids: list[str], start: datetime, end: datetime) -> dict[str, Any]:
        answer = {}
        for calendar in ids:
            spans = sorted(s for e in self.events(calendar).values() for s in e.busy(start, end))
            answer[calendar] = {"busy": [{"start": rfc3339(s), "end": rfc3339(e)} for s, e in spans]}
        return answer


def _conference(data: dict[str, Any], before: dict[str, Any], *, made: bool) -> dict[str, Any]:
    """A Meet conference for a ``createRequest``, once per event: asked again, the same one."""
    request = data.pop("conferenceData", {}).get("createRequest")
    if not (request and made) or before.get("conferenceData"):
        return data
    uri = f"https://meet.example/{uuid4().hex[:10]}"
    status = {"statusCode": "success"}
    data["conferenceData"] = {"createRequest": {**request, "status": status}}
    data["conferenceData"]["entryPoints"] = [{"entryPointType": "video", "uri": uri}]
    return data | {"hangoutLink": uri}
