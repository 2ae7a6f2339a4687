"""The Google Calendar stand-in behaves like Calendar v3 where our client will depend on it:
service-account tokens, client-chosen event ids (409 on a repeat), etags and If-Match,
freeBusy with RRULE recurrences and all-day events, its 50-calendar limit and quota errors.
In process, no network."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from sandbox.gcal_api import create_app, write_service_account

ROOM = "room-1@resource.calendar.google.com"
TOKEN_URI = "http://testserver/token"


def assertion(private_pem: str, *, audience: str = TOKEN_URI) -> str:
    """What google-auth sends for a service account: a JWT it signs with the key file's key."""
    now = int(time.time())
    claims = {
        "iss": "secondround@sandbox-project.iam.gserviceaccount.com",
        "aud": audience,
        "iat": now,
        "exp": now + 600,
    }
    claims |= {"scope": "https://www.googleapis.com/auth/calendar", "sub": "amara@northwind.example"}
    return jwt.encode(claims, private_pem, algorithm="RS256")


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write_service_account(tmp_path, TOKEN_URI)


@pytest.fixture
def google(key_file: Path) -> TestClient:
    client = TestClient(create_app(key_file))
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"}
    answer = client.post(
        "/token", data=grant | {"assertion": assertion(json.loads(key_file.read_text())["private_key"])}
    )
    client.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return client


def events(calendar: str = ROOM) -> str:
    return f"/calendar/v3/calendars/{calendar}/events"


def free_busy(google: TestClient, start: str, end: str, *ids: str) -> dict[str, Any]:
    body = {"timeMin": start, "timeMax": end, "items": [{"id": i} for i in ids or (ROOM,)]}
    answer = google.post("/calendar/v3/freeBusy", json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["calendars"])


def test_a_grant_signed_with_another_key_and_a_missing_token_are_refused(key_file: Path) -> None:
    client = TestClient(create_app(key_file))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    refused = client.post("/token", data={"assertion": assertion(other.decode())})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    anonymous = client.get(events() + "/abcde")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["errors"][0]["reason"] == "authError"


def test_a_chosen_id_is_created_once_and_a_stale_etag_loses(google: TestClient) -> None:
    hold: dict[str, Any] = {"id": "r0c0hold0room", "status": "tentative", "summary": "Hold"}
    hold |= {"start": {"dateTime": "2026-12-08T09:00:00Z"}, "end": {"dateTime": "2026-12-08T15:00:00Z"}}
    made = google.post(events(), json=hold)
    assert made.status_code == 200 and made.json()["id"] == "r0c0hold0room"
    again = google.post(events(), json=hold)
    assert again.status_code == 409 and again.json()["error"]["errors"][0]["reason"] == "duplicate"
    assert google.post(events(), json=hold | {"id": "Not_Base32hex!"}).status_code == 400
    path, etag = events() + "/r0c0hold0room", made.json()["etag"]
    booked = google.patch(path, json={"status": "confirmed"}, headers={"If-Match": etag})
    assert booked.status_code == 200 and booked.json()["etag"] != etag
    stale = google.patch(path, json={"status": "cancelled"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"]["errors"][0]["reason"] == "conditionNotMet"
    assert google.delete(path, headers={"If-Match": booked.json()["etag"]}).status_code == 204
    assert google.get(path).status_code == 404


def test_free_busy_expands_rrules_on_the_wall_clock_and_whole_days(google: TestClient) -> None:
    weekly: dict[str, Any] = {"summary": "Team meeting", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]}
    weekly |= {"start": {"dateTime": "2027-03-22T10:00:00", "timeZone": "Europe/Berlin"}}
    weekly |= {"end": {"dateTime": "2027-03-22T11:00:00", "timeZone": "Europe/Berlin"}}
    google.post(events(), json=weekly)
    google.post(events(), json={"summary": "closed", "start": {"date": "2027-03-31"}, "end": {"date": "2027-04-01"}})
    free = {"summary": "lunch", "transparency": "transparent"}
    google.post(
        events(),
        json=free | {"start": {"dateTime": "2027-03-23T12:00:00Z"}, "end": {"dateTime": "2027-03-23T13:00:00Z"}},
    )
    busy = free_busy(google, "2027-03-22T00:00:00Z", "2027-04-06T00:00:00Z")[ROOM]["busy"]
    # 10:00 in Berlin is 09:00Z before the clocks change on 28 March and 08:00Z after
    assert [b["start"] for b in busy] == [
        "2027-03-22T09:00:00Z",
        "2027-03-29T08:00:00Z",
        "2027-03-31T00:00:00Z",
        "2027-04-05T08:00:00Z",
    ]


def test_fifty_calendars_a_query_and_quota_errors(google: TestClient) -> None:
    assert free_busy(google, "2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z", *[f"r{n}@x.example" for n in range(50)])
    too_many: dict[str, Any] = {"timeMin": "2027-01-01T00:00:00Z", "timeMax": "2027-01-02T00:00:00Z"}
    too_many |= {"items": [{"id": f"r{n}@x.example"} for n in range(51)]}
    assert google.post("/calendar/v3/freeBusy", json=too_many).status_code == 400
    google.post("/sandbox/throttle", json={"requests": 1})
    throttled = google.get(events() + "/abcde")
    assert throttled.status_code == 429 and throttled.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
