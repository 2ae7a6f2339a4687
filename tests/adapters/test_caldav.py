"""The CalDAV client's own concerns against Radicale (the suite every backend passes is
``test_calendars.py``): a missing calendar, a dead server, runs racing to create a calendar."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings
from tasks.clients.caldav import caldav
from tests.adapters.backends import local
from tests.adapters.test_calendars import run
from tests.conftest import Peers


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
