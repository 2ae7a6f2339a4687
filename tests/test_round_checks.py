"""The round file tells the truth: a plan that can never be booked is an error; free times
outside the plan or the office hours, too short, or call times that are over are warnings,
named by path and printed apart by ``validate`` (which still exits 0)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.checks import round_warnings
from config.errors import RoundFileError
from config.loading import parse_round
from config.round import HiringRound
from flows.ops.cli import main
from sandbox.rounds import example_data

NOW = datetime(2026, 12, 2, 12, tzinfo=timezone.utc)


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RoundFileError) as caught:
        parse_round(yaml.safe_dump(data), source="bad.yaml")
    return caught.value.problems


def test_a_plan_that_can_never_be_booked_is_an_error_naming_why() -> None:
    short = example_data()
    short["plan"]["hours"] = {"start": "10:00", "end": "15:00"}  # a 6-hour day
    assert any(p.startswith("plan.hours: 10:00-15:00 is shorter") for p in problems(short))
    closed = example_data()
    closed["plan"]["hours"] = {"days": ["sat"]}
    closed["plan"]["dates"] = {"start": "2026-12-07", "end": "2026-12-11"}
    assert "plan.hours: the office is closed on every day of plan.dates" in problems(closed)
    nowhere = example_data()
    nowhere["plan"]["location"]["time_zone"] = "Mars/Olympus"
    del nowhere["catering"]
    assert any(p.startswith("plan.location.time_zone: unknown time zone 'Mars/Olympus'") for p in problems(nowhere))
    video = example_data()
    del video["plan"]["location"]
    assert any("needs a location (or set format: video)" in p for p in problems(video))
    for lead_calendar, link in (
        ("", "https://meet.example/ours"),
        ("google:amara@northwind.example", ""),  # Meet
        ("microsoft:amara@northwind.example", ""),  # Teams
        ("", ""),  # CalDAV makes no meeting
    ):
        video = example_data()
        video["plan"] |= {"format": "video", "meeting_link": link}
        video["staff"][0] |= {"calendar": lead_calendar} if lead_calendar else {}
        if lead_calendar or link:
            HiringRound.model_validate(video)
    assert any("plan.meeting_link is needed for a video interview" in p for p in problems(video))
    lunch = example_data()
    lunch["catering"]["meal"] = "Dinner"
    assert any("catering.meal 'Dinner' is not one of the plan's activities" in p for p in problems(lunch))


def test_free_and_call_times_that_cannot_work_are_warnings_by_path() -> None:
    data = example_data()
    alice, bilal, chen = data["candidates"][:3]
    alice["interview_times"].append({"start": "2027-01-05T09:00", "end": "2027-01-05T17:00"})  # after the plan
    bilal["interview_times"] = [{"start": "2026-12-08T09:00", "end": "2026-12-08T12:00"}]  # 3 h for a 6-hour day
    chen |= {"time_zone": "Asia/Tokyo", "interview_times": [{"start": "2026-12-08T09:00", "end": "2026-12-08T17:00"}]}
    chen["call_times"] = [{"start": "2026-11-20T09:00", "end": "2026-11-21T17:00"}]  # over
    data["candidates"][3]["call_times"] = [{"start": "2027-02-01T09:00", "end": "2027-02-02T17:00"}]
    warnings = round_warnings(HiringRound.model_validate(data), now=NOW)
    assert "candidates[0].interview_times[2]: outside the plan's dates (2026-12-07 to 2026-12-18)" in warnings
    assert "candidates[1].interview_times[0]: shorter than the interview (6:00:00)" in warnings
    assert any(w.startswith("candidates[2].interview_times: Chen Wei's free times never hold") for w in warnings)
    assert "candidates[2].call_times: all in the past: Chen Wei gets email only" in warnings
    assert "candidates[3].call_times: all after the last interview day: Dara O'Connell gets email only" in warnings
    assert not [w for w in warnings if w.startswith(("candidates[0].call", "candidates[4]", "candidates[5]"))]


def test_validate_prints_warnings_apart_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = example_data()
    data["candidates"][2] |= {"time_zone": "Asia/Tokyo"}  # her free times are now London's night
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["round", "validate", str(path)]) == 0
    said = capsys.readouterr().out
    assert "is valid" in said and "warning(s): the round runs, but read these first" in said
    assert "Chen Wei's free times never hold a whole interview inside the office hours (09:00-17:30" in said
