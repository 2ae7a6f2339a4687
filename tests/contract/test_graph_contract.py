"""Every request our Microsoft Graph client sends is valid against Microsoft's own SDK for Graph
v1.0 (``msgraph-sdk``, a test-only dependency; Microsoft generates it from Graph's OpenAPI
description, which cannot be fetched here).

The client runs a confirmed candidate's life on one room mailbox and reads many mailboxes' busy
time, against the Graph stand-in, which records each request. Each request must match a request
builder of the SDK (its URL template's path and an HTTP method the builder has), use only the
query parameters that template declares, and send a body that survives a round trip through the
SDK's JSON parser and writer into the model the builder's method takes: no field the model does
not know (at any depth), no value of the wrong type, no enum value it does not have. What this
cannot check: Graph's server-side rules beyond the description (which fields a PATCH may change,
the 20-schedule and 42-day limits of getSchedule, throttling): the stand-in plays those.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from kiota_serialization_json.json_serialization_writer_factory import JsonSerializationWriterFactory
from msgraph.generated.users.item.calendar.events.events_request_builder import EventsRequestBuilder
from msgraph.generated.users.item.calendar.get_schedule.get_schedule_request_builder import (
    GetScheduleRequestBuilder,
)
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import CalendarViewRequestBuilder
from msgraph.generated.users.item.events.item.event_item_request_builder import EventItemRequestBuilder

from tasks.clients.graph import graph
from tasks.clients.reservations import Entry
from tests.adapters.backends import local
from tests.adapters.test_calendars import run
from tests.conftest import Peers

BUILDERS = [GetScheduleRequestBuilder, EventsRequestBuilder, CalendarViewRequestBuilder, EventItemRequestBuilder]
ROOM = "contract-room@northwind.example"


class Endpoint:
    """One request builder: the path its URL template matches, the query names it declares."""

    def __init__(self, builder: type[Any]) -> None:
        self.builder = builder
        template: str = builder(object(), {}).url_template
        path = re.split(r"\?|\{\?|\{&", template)[0]
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", path.replace("{+baseurl}", "/v1.0"))
        self.path = re.compile(f"^{pattern}$")
        query = template[len(path) :]
        names = re.findall(r"([\w%]+)=\{", query)  # required ones: ?endDateTime={endDateTime}
        names += [n for group in re.findall(r"\{[?&]([^}]+)\}", query) for n in group.split(",")]
        self.query = {unquote(name) for name in names}

    def body_type(self, method: str) -> Any:
        """The model the builder's method takes as its body (the SDK names it only for type checkers)."""
        name = getattr(self.builder, method.lower()).__annotations__.get("body")
        if name is None:
            return None
        module = sys.modules[self.builder.__module__]
        source = re.search(rf"from (\.+[\w.]*) import {name}\b", inspect.getsource(module))
        assert source is not None, f"{self.builder.__name__}: cannot find {name}"
        return getattr(importlib.import_module(source[1], module.__package__), name)


ENDPOINTS = [Endpoint(builder) for builder in BUILDERS]


def problems(method: str, path: str, query: str, body: str) -> list[str]:
    """What the SDK's description says is wrong with one request (nothing: an empty list)."""
    endpoint = next((e for e in ENDPOINTS if e.path.match(path)), None)
    if endpoint is None or not hasattr(endpoint.builder, method.lower()):
        return [f"{method} {path}: no such request in Graph v1.0"]
    found = [f"{method} {path}: query parameter {name!r}" for name in parse_qs(query) if name not in endpoint.query]
    model = endpoint.body_type(method)
    if body and model is None:
        found.append(f"{method} {path}: takes no body")
    elif model is not None:
        found += [f"{method} {path}: {p}" for p in round_trip(model, json.loads(body))]
    return found


def round_trip(model: Any, sent: dict[str, Any]) -> list[str]:
    """Fields the model does not know, and values that do not come back as sent."""
    body = _spelled(model, sent)
    node = JsonParseNodeFactory().get_root_parse_node("application/json", json.dumps(body).encode())
    parsed: Parsable = node.get_object_value(model)
    unknown = [f"unknown field {name!r}" for name in _unknown(parsed)]
    writer = JsonSerializationWriterFactory().get_serialization_writer("application/json")
    writer.write_object_value(None, parsed)
    back = _without_odata_type(json.loads(writer.get_serialized_content()))
    return unknown + ([] if back == body or unknown else [f"sent {body}, the model reads {back}"])


def _spelled(model: Any, body: dict[str, Any]) -> dict[str, Any]:
    """An action's parameters as the SDK spells them: Graph reads them without regard to case, and
    the SDK spells getSchedule's in Pascal case ("Schedules") where Graph's documents write
    "schedules"."""
    names = {name.lower(): name for name in model().get_field_deserializers()}
    return {names.get(key.lower(), key): value for key, value in body.items()}


def _unknown(value: Any, where: str = "") -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _unknown(item, where)
    elif isinstance(value, Parsable):
        yield from (f"{where}{name}" for name in getattr(value, "additional_data", {}) or {})
        for name, inner in vars(value).items():
            if name != "additional_data":
                yield from _unknown(inner, f"{where}{name}.")


def _without_odata_type(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_odata_type(v) for k, v in value.items() if k != "@odata.type"}
    if isinstance(value, list):
        return [_without_odata_type(v) for v in value]
    return value


def test_every_request_of_a_holds_life_is_one_graph_describes(peers: Peers) -> None:
    entry = Entry("contract.ann.room@test", local(29, 9), local(29, 15))
    mailboxes = [f"contract-{n}@northwind.example" for n in range(25)]

    async def life() -> None:
        async with graph(peers.settings) as client:
            await client.busy_of(mailboxes, local(22, 0), local(22, 0) + timedelta(days=50))
            await client.hold(ROOM, entry, summary="Hold: second interview", guard=timedelta(minutes=30))
            await client.confirm(ROOM, entry.uid, summary="Interview: Ann", description="Ann Lee, +1 202 555 0101")
            assert await client.meeting_link(ROOM, entry.uid)  # a video interview's Teams meeting
            await client.release(ROOM, entry.uid)

    run(life())
    seen = httpx.get(f"{peers.settings.graph_authority_url}/sandbox/requests", verify=str(peers.settings.graph_ca_file))
    requests = [r for r in seen.json() if "contract" in r["path"]]
    kinds = {(r["method"], next(e.builder.__name__ for e in ENDPOINTS if e.path.match(r["path"]))) for r in requests}
    assert kinds == {
        ("POST", "GetScheduleRequestBuilder"),
        ("GET", "CalendarViewRequestBuilder"),
        ("POST", "EventsRequestBuilder"),
        ("PATCH", "EventItemRequestBuilder"),
        ("DELETE", "EventItemRequestBuilder"),
    }
    assert [p for r in requests for p in problems(r["method"], r["path"], r["query"], r["body"])] == []


def test_the_check_finds_what_graph_would_not_know() -> None:
    path = f"/v1.0/users/{ROOM}/events/AAMk1"
    when = {"dateTime": "2027-03-29T08:00:00", "timeZone": "UTC"}
    assert problems("PATCH", path, "", json.dumps({"showAs": "tentative", "start": when})) == []
    assert problems("PATCH", path, "", json.dumps({"showAs": "maybe"})) != []  # no such free/busy status
    assert problems("PATCH", path, "", json.dumps({"start": {**when, "zone": "UTC"}})) == [
        f"PATCH {path}: unknown field 'start.zone'"
    ]
    assert problems("PUT", path, "", "") == [f"PUT {path}: no such request in Graph v1.0"]
    assert problems("GET", f"/v1.0/users/{ROOM}/calendarView", "startDateTime=x&from=y", "") == [
        f"GET /v1.0/users/{ROOM}/calendarView: query parameter 'from'"
    ]
