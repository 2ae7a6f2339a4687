"""One suite for every calendar backend, each against its own server on loopback: CalDAV on
Radicale, Google Calendar and Microsoft Graph on their stand-ins over HTTPS. Busy time with a
recurring meeting across a DST change and an all-day event; a hold, its booking after someone
edited it (a stale etag) and its release, each idempotent; the race of 40 trials from two
processes; many calendars' busy time in few requests; a 429 waited out; a refused login."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from config.calendar_refs import Backend
from config.errors import TerminalChannelError
from config.settings import Settings
from tasks.clients.caldav import caldav
from tasks.clients.calendar_backends import OPENERS, CalendarClient
from tasks.clients.reservations import Clash, Entry
from tests.adapters.backends import PEERS, CalendarPeer, local
from tests.adapters.racing import race, slot_race
from tests.conftest import Peers

T = TypeVar("T")
GUARD = timedelta(minutes=30)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.fixture(params=list(PEERS))
def peer(request: pytest.FixtureRequest, peers: Peers) -> CalendarPeer:
    return PEERS[request.param](peers.settings)


def opened(peer: CalendarPeer, settings: Settings | None = None) -> AbstractAsyncContextManager[CalendarClient]:
    return OPENERS[Backend(peer.name)](settings or peer.settings)


def test_a_weekly_meeting_is_busy_every_week_on_its_wall_clock_and_an_all_day_event_all_day(peer: CalendarPeer) -> None:
    calendar = peer.calendar("staff-week")
    peer.seed_week(calendar)

    async def busy() -> list[Any]:
        async with opened(peer) as client:
            return list(await client.busy(calendar, local(22, 0), local(31, 0)))

    found = run(busy())
    meetings = [(s, e) for s, e in found if e - s == timedelta(hours=1)]
    # 10:00 Berlin is 09:00Z in winter and 08:00Z from 28 March; the free event on the 23rd is not busy
    assert meetings == [(local(22, 10), local(22, 11)), (local(29, 10), local(29, 11))]
    assert any(s <= local(24, 12) < e and e - s >= timedelta(hours=23) for s, e in found)  # the all-day event
    assert len(found) == 3


def test_hold_book_release_each_idempotent_and_a_stale_etag_reads_again(peer: CalendarPeer) -> None:
    room, entry = peer.calendar("room-cycle"), Entry("cycle.ann.room@test", local(29, 9), local(29, 15))

    async def scenario() -> None:
        async with opened(peer) as client:
            for _ in range(2):
                await client.hold(room, entry, summary="Hold: second interview", guard=GUARD)
            assert await client.busy(room, local(29, 0), local(30, 0)) == [(entry.start, entry.end)]
            peer.touch(room, entry.uid)  # someone edits the hold: its etag changes under us
            for _ in range(2):
                assert await client.confirm(room, entry.uid, summary="Interview: Ann", description="Ann, +1 202 555")
            for _ in range(2):
                await client.release(room, entry.uid)
            assert await client.busy(room, local(29, 0), local(30, 0)) == []
            assert not await client.confirm(room, entry.uid, summary="x", description="x")  # nothing left to book
            await client.hold(room, Entry("cycle.bo.room@test", local(29, 9), local(29, 10)), summary="x", guard=GUARD)
            with pytest.raises(Clash):
                await client.hold(
                    room, Entry("cycle.cy.room@test", local(29, 10), local(29, 11)), summary="x", guard=GUARD
                )

    run(scenario())


def test_overlapping_holds_raced_from_two_processes_never_double_book(peer: CalendarPeer) -> None:
    async def prepare() -> None:  # Radicale's calendars exist before the race, as a real server's would
        async with caldav(peer.settings) as dav:
            await asyncio.gather(*(dav.ensure(f"{peer.settings.caldav_url}room-race-{t}/") for t in range(40)))

    if peer.name == "caldav":
        run(prepare())
    race(peer.name, peer.settings)


def test_many_calendars_busy_time_comes_in_as_few_requests_as_the_backend_allows(peer: CalendarPeer) -> None:
    calendars = [peer.calendar(f"staff-many-{n}") for n in range(45)]
    peer.seed_week(calendars[-1])
    before = peer.busy_requests()

    async def busy() -> dict[str, list[Any]]:
        async with opened(peer) as client:
            return await client.busy_of(calendars, local(22, 0), local(22, 0) + timedelta(days=50))

    found = run(busy())
    assert [len(found[c]) for c in calendars] == [0] * 44 + [9]  # 8 Mondays and the all-day event
    used = {"caldav": 45, "google": 1, "microsoft": 3 * 2}[peer.name]  # one each; 50 a query; 20 and 41 days
    assert peer.busy_requests() - before == used


def test_a_429_is_waited_out_and_a_refused_login_is_terminal(peer: CalendarPeer, tmp_path: Path) -> None:
    async def busy(settings: Settings) -> list[Any]:
        async with opened(peer, settings) as client:
            return list(await client.busy(peer.calendar("staff-quiet"), local(29, 0), local(30, 0)))

    peer.throttle(2)
    assert run(busy(peer.settings)) == []  # two 429s, waited out, then the answer
    refused, message = peer.refused(tmp_path)
    with pytest.raises(TerminalChannelError, match=message):
        run(busy(refused))


def test_a_video_interview_gets_one_meeting_link_where_the_backend_makes_them(peer: CalendarPeer) -> None:
    lead, entry = peer.calendar("staff-video"), Entry("video.ann.amara@test", local(29, 9), local(29, 15))

    async def scenario() -> list[str | None]:
        async with opened(peer) as client:
            await client.hold(lead, entry, summary="Hold", guard=GUARD)
            assert await client.confirm(lead, entry.uid, summary="Interview: Ann", description="by video")
            links = [await client.meeting_link(lead, entry.uid) for _ in range(2)]  # a replay: the same one
            await client.release(lead, entry.uid)
            return [*links, await client.meeting_link(lead, entry.uid)]  # the booking is gone: no link

    if peer.name == "caldav":
        with pytest.raises(TerminalChannelError, match=r"cannot make a meeting link: set plan\.meeting_link"):
            run(scenario())
        return
    first, again, gone = run(scenario())
    assert first is not None and first.startswith("https://") and again == first and gone is None


def test_two_runs_racing_for_one_time_on_a_panel_across_backends_never_both_lose(peers: Peers) -> None:
    """The rule of ``hold-calendars``: of two runs wanting overlapping times on the same panel
    (one member on Google, one on Microsoft 365, one on CalDAV) with a room each, exactly one
    wins, 40 trials of 40; holding in parallel, each could take a part and both give up."""
    wins = slot_race(peers.settings)
    assert sum(wins.values()) == 40
