"""A Microsoft Graph calendar stand-in that behaves: the model behind ``sandbox/graph_api.py``.

Events are stored per mailbox (a user or a room). Each has an id, an ``@odata.etag`` that
changes on every write, an optional ``transactionId`` (a second create with the same one is
refused with 409, as the issue of idempotent creates asks), an optional weekly or daily
recurrence and all-day events. ``schedule`` computes what ``calendar/getSchedule`` answers: the
busy items of each mailbox in a window (free and cancelled events left out, recurrences
expanded), with an ``availabilityView`` string.

Pure: no HTTP here; the clock is the caller's.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
BUSY = {"busy", "tentative", "oof", "workingElsewhere"}
VIEW = {"free": "0", "tentative": "1", "busy": "2", "oof": "3", "workingElsewhere": "4"}


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def moment(value: dict[str, str]) -> datetime:
    """Graph's ``{dateTime, timeZone}`` as an aware UTC datetime (IANA names and UTC)."""
    zone = timezone.utc if value.get("timeZone", "UTC") == "UTC" else ZoneInfo(value["timeZone"])
    stamp = datetime.fromisoformat(value["dateTime"][:26].rstrip("Z"))
    return stamp.replace(tzinfo=zone).astimezone(timezone.utc) if stamp.tzinfo is None else stamp


def shown(value: datetime) -> dict[str, str]:
    return {"dateTime": value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


@dataclass
class Event:
    id: str
    data: dict[str, Any]
    version: int = 1

    @property
    def etag(self) -> str:
        return f'W/"{self.id[-8:]}-{self.version}"'

    def resource(self) -> dict[str, Any]:
        return {**self.data, "id": self.id, "@odata.etag": self.etag, "changeKey": f"{self.version}"}

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Each occurrence overlapping ``start``..``end``."""
        first, last = moment(self.data["start"]), moment(self.data["end"])
        recurrence = self.data.get("recurrence")
        if not recurrence:
            return [(first, last)] if first < end and start < last else []
        return [(s, e) for s, e in self._series(recurrence, first, last - first, end) if s < end and start < e]

    def _series(
        self, recurrence: dict[str, Any], first: datetime, length: timedelta, until: datetime
    ) -> list[tuple[datetime, datetime]]:
        pattern, bounds = recurrence["pattern"], recurrence.get("range", {"type": "noEnd"})
        zone = (
            ZoneInfo(self.data["start"].get("timeZone", "UTC")) if self.data["start"].get("timeZone") != "UTC" else None
        )
        local = first.astimezone(zone) if zone else first
        days = {DAYS.index(d.lower()) for d in pattern.get("daysOfWeek", [])} or {local.weekday()}
        step = 7 * int(pattern.get("interval", 1)) if pattern["type"] == "weekly" else int(pattern.get("interval", 1))
        last_day = date.fromisoformat(bounds["endDate"]) if bounds.get("type") == "endDate" else None
        count = int(bounds.get("numberOfOccurrences", 0)) if bounds.get("type") == "numbered" else 0
        found: list[tuple[datetime, datetime]] = []
        for offset in itertools.count():
            day = local.date() + timedelta(days=offset)
            if (last_day and day > last_day) or (count and len(found) >= count) or offset > 3700:
                break
            weeks = (day - local.date()).days // 7
            weekly_hit = pattern["type"] == "weekly" and day.weekday() in days and weeks % (step // 7) == 0
            daily_hit = pattern["type"] == "daily" and offset % step == 0
            if weekly_hit or daily_hit:
                at = datetime.combine(day, local.timetz().replace(tzinfo=None), zone or timezone.utc)
                if at.astimezone(timezone.utc) > until:
                    break
                found.append((at.astimezone(timezone.utc), at.astimezone(timezone.utc) + length))
        return found


@dataclass
class Mailbox:
    events: dict[str, Event] = field(default_factory=dict)


class Graph:
    def __init__(self) -> None:
        self.mailboxes: dict[str, Mailbox] = {}

    def mailbox(self, address: str) -> Mailbox:
        return self.mailboxes.setdefault(address.lower(), Mailbox())

    def create(self, address: str, body: dict[str, Any]) -> Event:
        box = self.mailbox(address)
        transaction = body.get("transactionId")
        if transaction and any(e.data.get("transactionId") == transaction for e in box.events.values()):
            raise GraphError(409, "ErrorDuplicateTransactionId", f"an event with transactionId {transaction} exists")
        for part in ("start", "end"):
            if part not in body:
                raise GraphError(400, "ErrorInvalidRequest", f"{part} is required")
        data = {"showAs": "busy", "isAllDay": False, **body}
        if data.get("isOnlineMeeting"):
            data["onlineMeeting"] = {"joinUrl": f"https://teams.example/l/meetup-join/{uuid4().hex}"}
        event = Event(id="AAMk" + uuid4().hex, data=data)
        box.events[event.id] = event
        return event

    def get(self, address: str, event_id: str) -> Event:
        found = self.mailbox(address).events.get(event_id)
        if found is None:
            raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return found

    def update(self, address: str, event_id: str, body: dict[str, Any], *, if_match: str | None) -> Event:
        event = self.get(address, event_id)
        if if_match and if_match not in ("*", event.etag):
            raise GraphError(412, "ErrorIrresolvableConflict", "The change key passed does not match the current one")
        event.data.update({k: v for k, v in body.items() if k not in ("id", "@odata.etag")})
        if event.data.get("isOnlineMeeting") and not event.data.get("onlineMeeting"):
            event.data["onlineMeeting"] = {"joinUrl": f"https://teams.example/l/meetup-join/{uuid4().hex}"}
        event.version += 1
        return event

    def delete(self, address: str, event_id: str, *, if_match: str | None) -> None:
        event = self.get(address, event_id)
        if if_match and if_match not in ("*", event.etag):
            raise GraphError(412, "ErrorIrresolvableConflict", "The change key passed does not match the current one")
        del self.mailbox(address).events[event_id]

    def schedule(self, addresses: list[str], start: datetime, end: datetime, *, interval: int) -> list[dict[str, Any]]:
        """``getSchedule``: each mailbox's busy items and availability view in ``start``..``end``."""
        answers = []
        for address in addresses:
            items: list[dict[str, Any]] = []
            for event in self.mailbox(address).events.values():
                status = str(event.data.get("showAs", "busy"))
                if status not in BUSY or event.data.get("isCancelled"):
                    continue
                for s, e in event.occurrences(start, end):
                    items.append({"status": status, "start": shown(s), "end": shown(e), "isPrivate": False})
            items.sort(key=lambda i: i["start"]["dateTime"])
            answers.append(
                {"scheduleId": address, "availabilityView": _view(items, start, end, interval), "scheduleItems": items}
            )
        return answers


def _view(items: list[dict[str, Any]], start: datetime, end: datetime, interval: int) -> str:
    """One digit per ``interval`` minutes: the busiest status in it."""
    slots = []
    at = start
    while at < end:
        upto = at + timedelta(minutes=interval)
        inside = [i["status"] for i in items if moment(i["start"]) < upto and at < moment(i["end"])]
        slots.append(max((VIEW[s] for s in inside), default="0"))
        at = upto
    return "".join(slots)


def all_day(day: date) -> dict[str, dict[str, str]]:
    """An all-day event's start and end, as Graph writes them (midnight to midnight)."""
    return {
        "start": shown(datetime.combine(day, time(0), timezone.utc)),
        "end": shown(datetime.combine(day + timedelta(days=1), time(0), timezone.utc)),
    }
