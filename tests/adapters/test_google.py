"""The Google Calendar client against the Google stand-in over HTTPS (the sandbox's test CA),
with service-account tokens from google-auth: the CalDAV adapter's suite (busy time with an RRULE
across a DST change, holds, bookings and releases, overlapping holds raced from two processes, a
stale etag), a quota error and a refused service account."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from config.errors import TerminalChannelError
from config.settings import Settings
from sandbox.gcal_api import write_service_account
from tasks.clients.google import event_id, google
from tasks.clients.reservations import Clash, Entry
from tests.adapters.conftest import Peers
from tests.adapters.racing import race
from tests.adapters.test_caldav import GUARD, local, run


def stand_in(peers: Peers) -> httpx.Client:
    """Straight to the stand-in's API (a person editing a calendar), with a token of our own."""
    settings = peers.settings
    key = json.loads(Path(str(settings.google_service_account_file)).read_text())
    now = int(time.time())
    claims = {"iss": key["client_email"], "aud": key["token_uri"], "iat": now, "exp": now + 600, "sub": "a@x.example"}
    grant = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": jwt.encode(claims, key["private_key"], algorithm="RS256"),
    }
    ca = str(settings.google_ca_file)
    token = httpx.post(key["token_uri"], data=grant, verify=ca).json()["access_token"]
    return httpx.Client(base_url=settings.google_api_url, verify=ca, headers={"Authorization": f"Bearer {token}"})


def test_a_weekly_meeting_is_busy_every_week_on_its_wall_clock(peers: Peers) -> None:
    meeting: dict[str, Any] = {"summary": "Team meeting", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]}
    meeting |= {"start": {"dateTime": "2027-03-22T10:00:00", "timeZone": "Europe/Berlin"}}
    meeting |= {"end": {"dateTime": "2027-03-22T11:00:00", "timeZone": "Europe/Berlin"}}
    assert stand_in(peers).post("calendar/v3/calendars/amara@northwind.example/events", json=meeting).status_code == 200

    async def busy() -> list[tuple[Any, Any]]:
        async with google(peers.settings) as client:
            return await client.busy("amara@northwind.example", local(22, 0), local(22, 0) + timedelta(days=15))

    assert [s for s, _ in run(busy())] == [local(22, 10), local(29, 10), local(29, 10) + timedelta(days=7)]


def test_hold_confirm_release_each_idempotent_and_a_stale_etag_reads_again(peers: Peers) -> None:
    room = "room-cycle@resource.calendar.google.com"  # reached as the delegate user
    entry = Entry("cycle.ann.room@test", local(29, 9), local(29, 15))
    person = stand_in(peers)

    async def scenario() -> None:
        async with google(peers.settings) as client:
            for _ in range(2):
                await client.hold(room, entry, summary="Hold: second interview", guard=GUARD)
            assert await client.busy(room, local(29, 0), local(30, 0)) == [(entry.start, entry.end)]
            path = f"calendar/v3/calendars/{room}/events/{event_id(entry.uid)}"
            person.patch(path, json={"location": "moved by hand"})  # its etag changes under us
            for _ in range(2):
                assert await client.confirm(room, entry.uid, summary="Interview: Ann", description="Ann, +1 202 555")
            assert person.get(path).json()["status"] == "confirmed"
            for _ in range(2):
                await client.release(room, entry.uid)
            assert await client.busy(room, local(29, 0), local(30, 0)) == []
            assert not await client.confirm(room, entry.uid, summary="x", description="x")
            await client.hold(room, Entry("cycle.bo.room@test", local(29, 9), local(29, 10)), summary="x", guard=GUARD)
            with pytest.raises(Clash):
                await client.hold(
                    room, Entry("cycle.cy.room@test", local(29, 9), local(29, 10)), summary="x", guard=GUARD
                )

    run(scenario())


def test_overlapping_holds_raced_from_two_processes_never_double_book(peers: Peers) -> None:
    race("google", peers.settings)


def test_a_quota_error_is_backed_off_and_a_refused_service_account_is_terminal(peers: Peers, tmp_path: Path) -> None:
    async def busy(settings: Settings) -> list[tuple[Any, Any]]:
        async with google(settings) as client:
            return await client.busy("quiet@northwind.example", local(29, 0), local(30, 0))

    stand_in(peers).post(peers.settings.google_api_url + "sandbox/throttle", json={"requests": 2})
    assert run(busy(peers.settings)) == []  # two rateLimitExceeded, backed off, then the answer
    token_uri = json.loads(Path(str(peers.settings.google_service_account_file)).read_text())["token_uri"]
    stranger = write_service_account(tmp_path, token_uri)  # a key the stand-in never issued
    with pytest.raises(TerminalChannelError, match="Google refused the service account"):
        run(busy(peers.settings.model_copy(update={"google_service_account_file": stranger})))
