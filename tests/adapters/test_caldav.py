"""The CalDAV adapter against Radicale on loopback: busy time with recurrences across a DST
change, holds, bookings, releases, and overlapping reservations raced from two processes."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings
from tasks.clients.caldav import caldav
from tasks.clients.reservations import Entry
from tests.adapters.conftest import Peers
from tests.adapters.racing import race

T = TypeVar("T")
BERLIN = ZoneInfo("Europe/Berlin")
GUARD = timedelta(minutes=30)
WEEKLY = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20270322T100000\r\n"
    "DTEND;TZID=Europe/Berlin:20270322T110000\r\n{extra}SUMMARY:Team meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=BERLIN).astimezone(timezone.utc)


def test_a_weekly_meeting_is_busy_every_week_on_her_wall_clock(peers: Peers) -> None:
    cal = peers.settings.caldav_url + "staff-weekly/"

    async def scenario() -> list[tuple[datetime, datetime]]:
        async with caldav(peers.settings) as dav:
            await dav.ensure(cal)
            await dav.put_event(cal, "weekly@test", WEEKLY.format(uid="weekly@test", extra="RRULE:FREQ=WEEKLY\r\n"))
            await dav.put_event(cal, "gone@test", WEEKLY.format(uid="gone@test", extra="STATUS:CANCELLED\r\n"))
            await dav.put_event(cal, "free@test", WEEKLY.format(uid="free@test", extra="TRANSP:TRANSPARENT\r\n"))
            return await dav.busy(cal, local(22, 0), local(31, 0))

    # 10:00 Berlin is 09:00Z in winter and 08:00Z from 28 March; the cancelled and the free one are not busy
    assert run(scenario()) == [(local(22, 10), local(22, 11)), (local(29, 10), local(29, 11))]
    assert local(29, 10).hour == 8


def test_hold_confirm_release_each_idempotent(peers: Peers) -> None:
    cal = peers.settings.caldav_url + "room-cycle/"
    entry = Entry("cycle.ann.room@test", local(29, 9), local(29, 15))

    async def scenario() -> None:
        async with caldav(peers.settings) as dav:
            for _ in range(2):
                await dav.hold(cal, entry, summary="Hold: second interview", guard=GUARD)
            assert await dav.busy(cal, local(29, 0), local(30, 0)) == [(entry.start, entry.end)]
            found = await dav.get_event(cal, entry.uid)
            assert found is not None and found[0].walk("VEVENT")[0]["status"] == "TENTATIVE"
            stale_etag = found[1]
            for _ in range(2):
                assert await dav.confirm(cal, entry.uid, summary="Interview: Ann", description="Ann, +1 202 555")
            booked = await dav.get_event(cal, entry.uid)
            assert booked is not None and booked[0].walk("VEVENT")[0]["status"] == "CONFIRMED"
            assert not await dav.replace_event(cal, entry.uid, "x", etag=stale_etag)  # If-Match: 412
            for _ in range(2):
                await dav.release(cal, entry.uid)
            assert await dav.busy(cal, local(29, 0), local(30, 0)) == []
            assert await dav.get_event(cal, entry.uid) is None
            assert not await dav.confirm(cal, entry.uid, summary="x", description="x")  # nothing left to book
            await dav.hold(cal, Entry("cycle.bo.room@test", local(29, 9), local(29, 15)), summary="x", guard=GUARD)

    run(scenario())


def test_overlapping_holds_raced_from_two_processes_never_double_book(peers: Peers) -> None:
    async def prepare() -> None:
        async with caldav(peers.settings) as dav:
            await asyncio.gather(*(dav.ensure(f"{peers.settings.caldav_url}room-race-{t}/") for t in range(40)))

    run(prepare())
    race("caldav", peers.settings)


def test_a_wrong_login_and_a_missing_calendar_are_terminal_a_dead_server_transient(peers: Peers) -> None:
    async def busy(settings: Settings, name: str) -> None:
        async with caldav(settings) as dav:
            await dav.busy(settings.caldav_url + name, local(29, 0), local(30, 0))

    wrong = peers.settings.model_copy(update={"caldav_password": SecretStr("nope")})
    with pytest.raises(TerminalChannelError, match="401"):
        run(busy(wrong, "staff-any/"))
    strict = peers.settings.model_copy(update={"caldav_create_missing": False})
    with pytest.raises(TerminalChannelError, match="does not exist"):
        run(busy(strict, "staff-nobody/"))
    dead = peers.settings.model_copy(update={"caldav_url": "http://127.0.0.1:9/secondround/"})
    with pytest.raises(TransientChannelError):
        run(busy(dead, "staff-any/"))


def test_runs_racing_to_create_a_missing_calendar_all_get_it(peers: Peers) -> None:
    """The sandbox creates missing calendars; the runs of a new round all ask at once."""
    cals = [peers.settings.caldav_url + f"staff-race-{n}/" for n in range(3)]

    async def one() -> None:
        async with caldav(peers.settings) as dav:
            for cal in cals:
                await dav.ensure(cal)

    async def scenario() -> None:
        await asyncio.gather(*(one() for _ in range(6)))

    run(scenario())  # none raises: a calendar made meanwhile (Radicale's 409) is found, not an error
