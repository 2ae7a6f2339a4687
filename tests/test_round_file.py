"""The round file: the example is valid, and a bad file lists every problem with its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from config.calendar_refs import Backend, split_ref
from config.errors import RoundFileError
from config.loading import load_round, parse_round
from flows.ops.cli import main
from sandbox.rounds import EXAMPLE, example_data


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RoundFileError) as caught:
        parse_round(yaml.safe_dump(data), source="bad.yaml")
    return caught.value.problems


def test_example_round_is_valid_and_realistic() -> None:
    round_ = load_round(EXAMPLE)
    shortlisted = [c for c in round_.candidates if c.waitlist_rank is None]
    assert 6 <= len(round_.candidates) <= 10 and len(shortlisted) == 8
    assert {c.time_zone for c in round_.candidates} >= {"America/New_York", "Asia/Tokyo", "Europe/London"}
    assert round_.cadence.reply_window.total_seconds() == 24 * 3600 and round_.cadence.attempts == 2
    # free times are kept in UTC: 04:00 in New York on 8 December is 09:00 UTC
    assert round_.candidate("alice-moreau").interview_times[0].start.isoformat() == "2026-12-08T09:00:00+00:00"


def test_every_problem_is_listed_with_its_path() -> None:
    data = example_data()
    data["candidates"][3]["phone"] = "+1 555"
    data["candidates"][2]["time_zone"] = "Mars/Olympus"
    data["candidates"][1]["id"] = "alice-moreau"
    data["candidates"][0]["call_times"] = []
    data["candidates"][4]["interview_times"][0]["end"] = "2026-12-11T08:00"
    data["plan"]["panel"].append("nobody")
    data["rooms"][0]["capacity"] = 0
    data["candidates"][5]["email"] = "not-an-address"
    del data["candidates"][6]["name"]
    data["candidates"][7]["shoe_size"] = 42
    found = problems(data)
    expected = [
        "candidates[3].phone: '+1 555' is not a valid E.164 number",
        "candidates[2].time_zone: unknown time zone 'Mars/Olympus'",
        "candidates[0].id: duplicate id 'alice-moreau'",
        "candidates[1].id: duplicate id 'alice-moreau'",
        "candidates[0].call_times: must not be empty",
        "candidates[4].interview_times[0]: end 2026-12-11T08:00:00 is not after start",
        "plan.panel[2]: unknown staff member 'nobody'",
        "rooms[0].capacity: Input should be greater than or equal to 1",
        "candidates[5].email: 'not-an-address' is not a valid email address",
        "candidates[6].name: is required",
        "candidates[7].shoe_size: is not a known field",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), (line, found)
    assert len(found) == len(expected)


def test_a_name_with_a_line_break_is_refused_before_it_reaches_a_mail_header() -> None:
    data = example_data()
    data["candidates"][0]["name"] = "Mallory\r\nBcc: everyone@example.org"
    data["staff"][1]["name"] = "Tom\tLindqvist"
    found = problems(data)
    assert sorted(p.split(":")[0] for p in found) == ["candidates[0].name", "staff[1].name"], found
    assert all("must be one line of printable text" in p for p in found)


def test_a_wall_time_skipped_by_the_clocks_is_refused() -> None:
    data = example_data()
    data["candidates"][1]["interview_times"] = [{"start": "2027-03-28T01:30", "end": "2027-03-28T05:00"}]
    assert problems(data) == [
        "candidates[1]: 2027-03-28T01:30:00 does not exist in Europe/London (clocks change that day)"
    ]


def test_shared_phone_numbers_and_waitlist_ranks_are_refused() -> None:
    data = example_data()
    data["candidates"][1]["phone"] = data["candidates"][0]["phone"]
    data["candidates"][9]["waitlist_rank"] = 1
    found = problems(data)
    assert "candidates[1].phone: shared with another candidate" in found
    assert "candidates[9].waitlist_rank: rank 1 is used twice" in found


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(RoundFileError, match="not valid YAML"):
        parse_round("id: [unclosed")
    with pytest.raises(RoundFileError, match="must be a mapping"):
        parse_round("- a list")
    with pytest.raises(RoundFileError, match="cannot read the file"):
        load_round(tmp_path / "missing.yaml")


def test_validate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "8 candidates to call, 2 waitlisted" in capsys.readouterr().out
    data = example_data()
    data["candidates"][3]["phone"] = "12345"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s)" in err and "candidates[3].phone: '12345' is not a valid E.164 number" in err


def test_the_recruiter_calls_live_unless_the_round_or_she_says_automated() -> None:
    round_ = load_round(EXAMPLE)
    modes = {c.id: round_.call_mode(c).value for c in round_.candidates}
    assert modes["alice-moreau"] == "recruiter" and modes["dara-oconnell"] == "automated"
    assert round_.calling.recruiter_rings == 2 and round_.calling.recruiter_retry.total_seconds() == 900
    assert round_.candidate("alice-moreau").notes.startswith("Designed the payments")


def test_a_live_call_needs_the_recruiters_phone() -> None:
    data = example_data()
    del data["organisation"]["recruiter"]["phone"]
    [problem] = problems(data)
    assert "organisation.recruiter.phone is needed" in problem and "alice-moreau" in problem
    data["calling"]["mode"] = "automated"
    for candidate in data["candidates"]:
        candidate.pop("call_mode", None)
    assert parse_round(yaml.safe_dump(data)).calling.mode.value == "automated"


def test_bad_calling_settings_are_named() -> None:
    data = example_data()
    data["calling"] = {"mode": "robot", "recruiter_rings": 0}
    data["organisation"]["recruiter"]["hours"] = {"start": "18:00", "end": "09:00", "time_zone": "Mars/Base"}
    found = "\n".join(problems(data))
    for path in ("calling.mode", "calling.recruiter_rings", "organisation.recruiter.hours"):
        assert path in found


def test_a_calendar_reference_names_its_backend() -> None:
    assert split_ref("https://dav.example.org/amara/") == (Backend.caldav, "https://dav.example.org/amara/")
    assert split_ref("google:room-1@resource.calendar.google.com") == (
        Backend.google,
        "room-1@resource.calendar.google.com",
    )
    assert split_ref("microsoft:thames@northwind.example") == (Backend.microsoft, "thames@northwind.example")
    data = example_data()
    data["staff"][0]["calendar"] = "dav.example.org/amara"
    data["rooms"][0]["calendar"] = "google:not an address"
    data["organisation"]["recruiter"]["calendar"] = "google:priya@northwind.example"  # a round may mix backends
    data["staff"][1]["calendar"] = "microsoft:tom@northwind.example"
    data["staff"][2]["calendar"] = "outlook:grace@northwind.example"
    found = problems(data)
    assert any(p.startswith("staff[0].calendar") and "write a CalDAV URL (https://...)" in p for p in found)
    assert any(p.startswith("rooms[0].calendar") and "write the calendar's address" in p for p in found)
    assert any(p.startswith("staff[2].calendar") and "google:<calendar id> or microsoft:<mailbox>" in p for p in found)
    assert not any(p.startswith(("staff[1]", "organisation.recruiter")) for p in found)
