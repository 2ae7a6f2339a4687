"""The Microsoft Graph client's own concerns (the suite every backend passes is
``test_calendars.py``): credentials that are not there, and ``secondround calendars check``
reading every backend of a round and naming the one that fails."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import SecretStr

from config.errors import ConfigError
from config.round import HiringRound
from flows.ops.calendar_check import check_calendars
from sandbox.rounds import example_data
from tasks.clients.graph import graph
from tests.adapters.backends import local
from tests.adapters.conftest import Peers
from tests.adapters.test_calendars import run


def test_credentials_not_set_are_named_before_any_request(peers: Peers) -> None:
    async def busy() -> list[tuple[Any, Any]]:
        async with graph(unset) as client:
            return await client.busy("quiet@northwind.example", local(29, 0), local(29, 0) + timedelta(days=1))

    unset = peers.settings.model_copy(update={"graph_tenant_id": "", "graph_client_secret": SecretStr("")})
    with pytest.raises(
        ConfigError, match="real values for SECONDROUND_GRAPH_TENANT_ID, SECONDROUND_GRAPH_CLIENT_SECRET"
    ):
        run(busy())


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
