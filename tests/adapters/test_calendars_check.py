"""``secondround calendars check`` reading every backend of a round and naming the one that
fails (the suite every backend passes is ``test_calendars.py``, their logins ``test_logins.py``)."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import SecretStr

from config.round import HiringRound
from flows.ops.calendar_check import check_calendars
from sandbox.rounds import example_data
from tests.adapters.test_calendars import run
from tests.conftest import Peers


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
