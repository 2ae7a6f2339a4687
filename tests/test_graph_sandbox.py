"""The Microsoft Graph stand-in behaves like Graph where our client depends on it: tokens,
idempotent creates by transactionId, etags and If-Match, free/busy with recurrences and all-day
events, request limits and throttling. In process, no network."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandbox.graph import all_day
from sandbox.graph_api import CLIENT_ID, CLIENT_SECRET, create_app

ROOM = "thames@northwind.example"


@pytest.fixture
def graph() -> TestClient:
    client = TestClient(create_app())
    answer = client.post("/t1/oauth2/v2.0/token", data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def event(start: str, end: str, **more: Any) -> dict[str, Any]:
    return {
        "subject": "x",
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
    } | more


def busy(graph: TestClient, start: str, end: str, *mailboxes: str) -> list[dict[str, Any]]:
    body = {
        "schedules": list(mailboxes or [ROOM]),
        "startTime": {"dateTime": start, "timeZone": "UTC"},
        "endTime": {"dateTime": end, "timeZone": "UTC"},
        "availabilityViewInterval": 60,
    }
    answer = graph.post(f"/v1.0/users/{ROOM}/calendar/getSchedule", json=body)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["value"])


def test_a_wrong_secret_and_a_missing_token_are_refused() -> None:
    client = TestClient(create_app())
    refused = client.post("/t1/oauth2/v2.0/token", data={"client_id": CLIENT_ID, "client_secret": "wrong"})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    anonymous = client.get(f"/v1.0/users/{ROOM}/calendar/events")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_a_repeated_transaction_id_is_refused_and_a_stale_etag_loses(graph: TestClient) -> None:
    hold = event("2026-12-08T09:00:00", "2026-12-08T15:00:00", showAs="tentative", transactionId="r.c.0.hold-room")
    made = graph.post(f"/v1.0/users/{ROOM}/calendar/events", json=hold)
    assert made.status_code == 201
    again = graph.post(f"/v1.0/users/{ROOM}/calendar/events", json=hold)
    assert again.status_code == 409
    path, etag = f"/v1.0/users/{ROOM}/events/{made.json()['id']}", made.json()["@odata.etag"]
    booked = graph.patch(path, json={"showAs": "busy"}, headers={"If-Match": etag})
    assert booked.status_code == 200 and booked.json()["@odata.etag"] != etag
    stale = graph.patch(path, json={"showAs": "free"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and graph.get(path).json()["showAs"] == "busy"
    assert graph.delete(path, headers={"If-Match": etag}).status_code == 412
    assert graph.delete(path, headers={"If-Match": booked.json()["@odata.etag"]}).status_code == 204
    assert graph.get(path).status_code == 404


def test_free_busy_expands_a_weekly_meeting_across_the_clock_change_and_whole_days(graph: TestClient) -> None:
    weekly = event("2027-03-22T10:00:00", "2027-03-22T11:00:00")  # Mondays 10:00 Berlin time
    weekly["start"]["timeZone"] = weekly["end"]["timeZone"] = "Europe/Berlin"
    weekly["recurrence"] = {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
        "range": {"type": "noEnd"},
    }
    graph.post(f"/v1.0/users/{ROOM}/calendar/events", json=weekly)
    day_off = all_day(date(2027, 3, 31)) | {"subject": "closed", "isAllDay": True}
    graph.post(f"/v1.0/users/{ROOM}/calendar/events", json=day_off)
    graph.post(
        f"/v1.0/users/{ROOM}/calendar/events", json=event("2027-03-23T09:00:00", "2027-03-23T10:00:00", showAs="free")
    )
    [room] = busy(graph, "2027-03-22T00:00:00", "2027-04-06T00:00:00")
    starts = [item["start"]["dateTime"][:16] for item in room["scheduleItems"]]
    # 10:00 in Berlin is 09:00Z before the clocks change on 28 March and 08:00Z after
    assert starts == ["2027-03-22T09:00", "2027-03-29T08:00", "2027-03-31T00:00", "2027-04-05T08:00"]
    assert room["availabilityView"][9] == "2" and room["availabilityView"][33] == "0"  # the free event is free


def test_request_limits_and_throttling(graph: TestClient) -> None:
    with pytest.raises(AssertionError):
        busy(graph, "2027-01-01T00:00:00", "2027-03-01T00:00:00")  # 59 days: refused, as Graph does
    with pytest.raises(AssertionError):
        busy(graph, "2027-01-01T00:00:00", "2027-01-02T00:00:00", *[f"r{n}@x.example" for n in range(21)])
    graph.post("/sandbox/throttle", json={"requests": 1, "retry_after": 2})
    throttled = graph.get(f"/v1.0/users/{ROOM}/calendar/events")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert graph.get(f"/v1.0/users/{ROOM}/calendar/events").status_code == 200
