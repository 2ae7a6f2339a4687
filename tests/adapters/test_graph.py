"""The Microsoft Graph client against the Graph stand-in over HTTPS (the sandbox's test CA),
with tokens from MSAL: busy time with recurrences across a DST change, holds, bookings and
releases, overlapping holds raced from two processes, a stale etag, a 429 and a refused login."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from config.errors import ConfigError, TerminalChannelError
from config.round import HiringRound
from config.settings import Settings
from flows.ops.calendar_check import check_calendars
from sandbox.rounds import example_data
from tasks.clients.graph import graph
from tasks.clients.reservations import Clash, Entry
from tests.adapters.conftest import Peers
from tests.adapters.racing import race
from tests.adapters.test_caldav import GUARD, local, run


def stand_in(peers: Peers) -> httpx.Client:
    """Straight to the stand-in, as another Graph client (a person editing the calendar)."""
    settings = peers.settings
    client = httpx.Client(base_url=settings.graph_api_url, verify=str(settings.graph_ca_file))
    form = {"client_id": settings.graph_client_id, "client_secret": settings.graph_client_secret.get_secret_value()}
    token = httpx.post(
        f"{settings.graph_authority_url}/t/oauth2/v2.0/token", data=form, verify=str(settings.graph_ca_file)
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def test_a_weekly_meeting_is_busy_every_week_on_its_wall_clock(peers: Peers) -> None:
    meeting: dict[str, Any] = {
        "subject": "Team meeting",
        "start": {"dateTime": "2027-03-22T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2027-03-22T11:00:00", "timeZone": "Europe/Berlin"},
        "recurrence": {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "noEnd"},
        },
    }
    assert stand_in(peers).post("/users/amara@northwind.example/calendar/events", json=meeting).status_code == 201

    async def busy() -> list[tuple[Any, Any]]:
        async with graph(peers.settings) as client:
            return await client.busy("amara@northwind.example", local(22, 0), local(22, 0) + timedelta(days=50))

    found = run(busy())
    assert [s for s, _ in found][:2] == [local(22, 10), local(29, 10)]  # 09:00Z, then 08:00Z after the change
    assert len(found) == 8  # 50 days asked: two getSchedule windows, every Monday in them


def test_hold_confirm_release_each_idempotent(peers: Peers) -> None:
    room, entry = "cycle@northwind.example", Entry("cycle.ann.room@test", local(29, 9), local(29, 15))

    async def scenario() -> None:
        async with graph(peers.settings) as client:
            for _ in range(2):
                await client.hold(room, entry, summary="Hold: second interview", guard=GUARD)
            assert await client.busy(room, local(29, 0), local(30, 0)) == [(entry.start, entry.end)]
            for _ in range(2):
                assert await client.confirm(room, entry.uid, summary="Interview: Ann", description="Ann, +1 202 555")
            for _ in range(2):
                await client.release(room, entry.uid)
            assert await client.busy(room, local(29, 0), local(30, 0)) == []
            assert not await client.confirm(room, entry.uid, summary="x", description="x")
            with pytest.raises(Clash):
                await client.hold(
                    room, Entry("cycle.bo.room@test", local(29, 9), local(29, 10)), summary="x", guard=GUARD
                )
                await client.hold(
                    room, Entry("cycle.cy.room@test", local(29, 9), local(29, 10)), summary="x", guard=GUARD
                )

    run(scenario())
    events = stand_in(peers).get(f"/users/{'cycle@northwind.example'}/calendar/events").json()["value"]
    assert sorted(e["transactionId"] for e in events) == ["cycle.bo.room@test", "secondround-ledger"]


def test_a_booking_made_on_a_stale_etag_reads_again(peers: Peers) -> None:
    room, entry = "stale@northwind.example", Entry("stale.ann.room@test", local(29, 9), local(29, 15))
    person = stand_in(peers)

    async def scenario() -> None:
        async with graph(peers.settings) as client:
            await client.hold(room, entry, summary="Hold", guard=GUARD)
            [held] = [
                e
                for e in person.get(f"/users/{room}/calendar/events").json()["value"]
                if e["transactionId"] == entry.uid
            ]
            person.patch(f"/users/{room}/events/{held['id']}", json={"location": {"displayName": "moved"}})
            assert await client.confirm(room, entry.uid, summary="Interview", description="booked after a change")

    run(scenario())
    requests = person.get(peers.settings.graph_authority_url + "/sandbox/requests").json()
    assert sum(1 for r in requests if r["method"] == "PATCH") >= 3  # ledger, the person's edit, our booking


def test_overlapping_holds_raced_from_two_processes_never_double_book(peers: Peers) -> None:
    race("microsoft", peers.settings)


def test_throttling_is_waited_out_and_a_refused_login_is_terminal(peers: Peers) -> None:
    async def busy(settings: Settings) -> list[tuple[Any, Any]]:
        async with graph(settings) as client:
            return await client.busy("quiet@northwind.example", local(29, 0), local(30, 0))

    stand_in(peers).post(
        peers.settings.graph_authority_url + "/sandbox/throttle", json={"requests": 2, "retry_after": 1}
    )
    assert run(busy(peers.settings)) == []  # two 429s with Retry-After: 1, then the answer
    wrong = peers.settings.model_copy(update={"graph_client_secret": SecretStr("nope")})
    with pytest.raises(TerminalChannelError, match="refused the app's login"):
        run(busy(wrong))
    unset = peers.settings.model_copy(update={"graph_tenant_id": "", "graph_client_secret": SecretStr("")})
    with pytest.raises(
        ConfigError, match="real values for SECONDROUND_GRAPH_TENANT_ID, SECONDROUND_GRAPH_CLIENT_SECRET"
    ):
        run(busy(unset))


def test_calendars_check_reads_every_backend_and_names_what_fails(peers: Peers) -> None:
    data = example_data()
    data["rooms"][0]["calendar"] = "http://127.0.0.1:9/nowhere/"  # Thames: a CalDAV server that is not there
    data["rooms"][1]["calendar"] = "microsoft:fleet@northwind.example"
    round_ = HiringRound.model_validate(data)
    now = datetime(2027, 3, 29, 8, tzinfo=timezone.utc)
    found = {r.calendar: r for r in run(check_calendars(round_, peers.settings, now=now))}
    assert set(found) == {
        "staff:amara-okafor",
        "staff:tom-lindqvist",
        "staff:grace-chen",
        "room:thames",
        "room:fleet",
        "recruiter",
    }
    assert [k for k, r in found.items() if not r.works] == ["room:thames"]
    assert "Connect call failed" in found["room:thames"].detail  # the CalDAV client says why
    wrong = peers.settings.model_copy(update={"graph_client_secret": SecretStr("nope")})
    refused = {r.calendar: r for r in run(check_calendars(round_, wrong, now=now))}
    assert not refused["room:fleet"].works and "refused the app's login" in refused["room:fleet"].detail
    assert refused["staff:amara-okafor"].works
