"""Every request our Google Calendar client sends is valid against Google's own description of
Calendar v3: the discovery document shipped inside ``google-api-python-client``.

The client runs a confirmed candidate's life on one calendar (busy time, a hold with its ledger,
the booking and its Meet link, then a release) over an ``httplib2`` stand-in that records each request and answers
from the sandbox's Calendar model. Each request must name a method of the document (HTTP method
and path), use only its declared query parameters, and send a body whose every field, nested
ones included, is a property of the method's request schema. What this cannot check: Google's
own server-side rules beyond the document (id formats, quotas, which fields may be patched).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import googleapiclient
import httplib2
from googleapiclient.discovery import build

from sandbox.gcal import GoogleCalendar, GoogleError, when
from tasks.clients.google import GoogleCalendars
from tasks.clients.reservations import Entry

DOCUMENT = json.loads(
    Path(googleapiclient.__file__).with_name("discovery_cache").joinpath("documents", "calendar.v3.json").read_text()
)
CALENDAR = "room-1@resource.calendar.google.com"


class Recorder(httplib2.Http):  # type: ignore[misc]
    """Answers from the Calendar model, keeping what was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.model = GoogleCalendar()
        self.seen: list[tuple[str, str, dict[str, list[str]], Any]] = []

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **_: Any) -> Any:
        parts = urlsplit(uri)
        data = json.loads(body) if body else None
        self.seen.append((method, parts.path, parse_qs(parts.query), data))
        try:
            status, answer = 200, self._answer(method, unquote(parts.path), data, headers or {}, parse_qs(parts.query))
        except GoogleError as error:
            status, answer = error.status, error.body()
        content = b"" if answer is None else json.dumps(answer).encode()
        return httplib2.Response({"status": str(status if answer is not None else 204)}), content

    def _answer(self, method: str, path: str, data: Any, headers: dict[str, str], query: dict[str, list[str]]) -> Any:
        if path.endswith("/freeBusy"):
            start, end = when({"dateTime": data["timeMin"]})[0], when({"dateTime": data["timeMax"]})[0]
            return {"calendars": self.model.free_busy([i["id"] for i in data["items"]], start, end)}
        calendar, _, event = path.split("/calendars/", 1)[1].partition("/events")
        event, match = event.strip("/"), headers.get("If-Match") or headers.get("if-match")
        if method == "POST":
            return self.model.insert(calendar, data).resource()
        if method == "GET":
            return self.model.get(calendar, event).resource()
        if method == "PATCH":
            conference = query.get("conferenceDataVersion") == ["1"]
            return self.model.patch(calendar, event, data, if_match=match, conference=conference).resource()
        self.model.delete(calendar, event, if_match=match)
        return None


def _method(http: str, path: str) -> dict[str, Any]:
    """The discovery method an HTTP method and path belong to."""
    relative = path.removeprefix("/" + DOCUMENT["servicePath"])
    for resource in DOCUMENT["resources"].values():
        for method in resource.get("methods", {}).values():
            pattern = re.sub(r"\{[^}]+\}", "[^/]+", method["path"]) + "$"
            if method["httpMethod"] == http and re.match(pattern, relative):
                return dict(method)
    raise AssertionError(f"{http} {path} is not a method of Calendar v3")


def _fields(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    """Every field of ``value`` the schema does not declare, as a path."""
    if "$ref" in schema:
        schema = DOCUMENT["schemas"][schema["$ref"]]
    if isinstance(value, dict) and "properties" in schema:
        bad = [f"{where}.{k}" for k in value if k not in schema["properties"]]
        return bad + [
            p
            for k, v in value.items()
            if k in schema["properties"]
            for p in _fields(v, schema["properties"][k], f"{where}.{k}")
        ]
    if isinstance(value, list) and "items" in schema:
        return [p for n, v in enumerate(value) for p in _fields(v, schema["items"], f"{where}[{n}]")]
    return []


def test_a_confirmed_and_a_released_hold_send_only_what_calendar_v3_describes() -> None:
    recorder = Recorder()
    service = build("calendar", "v3", http=recorder, static_discovery=True)
    client = GoogleCalendars(lambda _: service)
    start = datetime(2027, 3, 29, 8, tzinfo=timezone.utc)

    async def life() -> None:
        await client.busy(CALENDAR, start, start + timedelta(days=1))
        await client.hold(
            CALENDAR,
            Entry("c.ann.1.hold-room@x", start, start + timedelta(hours=6)),
            summary="Hold",
            guard=timedelta(minutes=30),
        )
        assert await client.confirm(CALENDAR, "c.ann.1.hold-room@x", summary="Interview: Ann", description="Ann")
        assert await client.meeting_link(CALENDAR, "c.ann.1.hold-room@x")  # a video interview's Meet link
        await client.hold(
            CALENDAR,
            Entry("c.bo.1.hold-room@x", start + timedelta(days=1), start + timedelta(days=1, hours=6)),
            summary="Hold",
            guard=timedelta(minutes=30),
        )
        await client.release(CALENDAR, "c.bo.1.hold-room@x")

    asyncio.run(life())
    methods = set()
    for http, path, query, body in recorder.seen:
        method = _method(http, path)
        methods.add(method["id"])
        assert set(query) <= set(method.get("parameters", {})) | {"alt"}, (method["id"], query)
        if body is not None:
            assert _fields(body, method["request"], method["id"]) == []
    assert methods == {
        "calendar.freebusy.query",
        "calendar.events.get",
        "calendar.events.insert",
        "calendar.events.patch",
        "calendar.events.delete",
    }


def test_the_check_has_teeth() -> None:
    """A field Calendar v3 does not have is named, however deep."""
    event = {"summary": "x", "start": {"dateTime": "2027-01-01T00:00:00Z", "zone": "UTC"}, "colour": "red"}
    assert _fields(event, {"$ref": "Event"}, "insert") == ["insert.colour", "insert.start.zone"]
