"""``secondround round dry-run``: every message rendered and every slot planned, nothing sent.

No Prefect and no peers: the dry run must not need them. The socket guard proves it opens no
connection at all (the mail server, Twilio and the calendars stay untouched).
"""

from __future__ import annotations

import socket
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.ops.cli import main
from sandbox.rounds import EXAMPLE, example_data


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "round.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_dry_run_renders_every_message_of_every_candidate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["round", "dry-run", str(EXAMPLE), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "nothing sent, nothing booked" in said and "8 of 8 planned" in said
    data = example_data()
    shortlisted = [c for c in data["candidates"] if c.get("waitlist_rank") is None]
    assert sorted(p.name for p in out.iterdir()) == sorted(c["id"] for c in shortlisted)
    for person in shortlisted:
        files = sorted(p.name for p in (out / person["id"]).iterdir())
        steps = {name.split("-", 1)[1].rsplit(".", 1)[0] for name in files}
        live = person.get("call_mode", data["calling"]["mode"]) == "recruiter"
        for attempt in (1, 2):
            assert f"{attempt}.email" in steps
            voice = person["consent"]["automated_voice"]  # no automated call nor voicemail without it
            assert (f"{attempt}.voicemail" in steps) == voice
            assert ({f"{attempt}.call-guide", f"{attempt}.whisper"} <= steps) == live
            assert (f"{attempt}.call" in steps) == (voice and not live)
            assert (f"{attempt}.no-call" in steps) == (not voice and not live)
            assert (f"{attempt}.sms" in steps) == person["consent"]["sms"]
        panel = {f"confirmed.briefing-{p}" for p in data["plan"]["panel"]}
        assert panel | {"confirmed.confirmation", "confirmed.catering-order", "released.release-notice"} <= steps
        assert {f"released.release-{p}" for p in data["plan"]["panel"]} <= steps
        invite = next((out / person["id"]).glob("*-confirmed.confirmation.ics")).read_bytes()
        assert b"METHOD:REQUEST\r\n" in invite  # as attached: CRLF lines
        email = next((out / person["id"]).glob("*-1.email.txt")).read_text(encoding="utf-8")
        assert email.startswith(f"To: {person['email']}\nSubject: ") and "/r/" in email
    hiro = (out / "hiro-tanaka" / "01-1.call.txt").read_text(encoding="utf-8")  # the automated call
    # the London office's clock first, hers beside it; for the ear, unambiguous
    assert "Wednesday the 16th of December 2026 at 9 a.m. London time, that is 6 p.m. in Tokyo" in hiro
    guide = (out / "alice-moreau" / "01-1.call-guide.txt").read_text(encoding="utf-8")  # the recruiter's call
    assert "Tuesday 08 December 2026 at 09:00 London time (04:00 in New York)" in guide
    assert "First interview: Designed the payments retry queue" in guide
    whisper = (out / "alice-moreau" / "02-1.whisper.txt").read_text(encoding="utf-8")
    assert "Second-interview call to Alice Moreau" in whisper
    invitation = next((out / "alice-moreau").glob("*-1.email.txt")).read_text(encoding="utf-8")
    assert "When:  Tuesday 08 December 2026 at 09:00 London time (04:00 in New York), about 6 h" in invitation
    assert "Tue 08 Dec 2026 09:00 London (04:00 in New York), room fleet" in said


def test_dry_run_names_a_candidate_no_slot_fits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = example_data()
    data["candidates"][0]["interview_times"] = [{"start": "2027-01-04T09:00", "end": "2027-01-04T18:00"}]
    out = tmp_path / "out"
    assert main(["round", "dry-run", str(write(tmp_path, data)), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "Alice Moreau" in said and "NO SLOT fits her free times" in said and "7 of 8 planned" in said
    assert "NO SLOT fits her free times (her free times never meet the office hours)" in said
    assert "candidates[0].interview_times[0]: outside the plan's dates" in said  # the warning, by path
    files = [p.name for p in (out / "alice-moreau").iterdir()]
    assert files == ["01-released.recruiter-alert.txt"] or sorted(files) == [
        "01-released.recruiter-alert.html",
        "01-released.recruiter-alert.txt",
    ]


def test_a_bad_round_file_is_refused_before_anything_is_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = example_data()
    data["candidates"][2]["phone"] = "+44 20"
    data["schedule"] = {"cron": "every monday"}
    out = tmp_path / "out"
    assert main(["round", "dry-run", str(write(tmp_path, data)), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "candidates[2].phone" in error and "not a valid E.164 number" in error
    assert "schedule.cron" in error and "'every monday' is not a cron line" in error
    assert not out.exists()
    assert main(["round", "validate", str(write(tmp_path, data))]) == 1


def test_the_secondround_command_runs_this_cli() -> None:
    (script,) = entry_points(group="console_scripts", name="secondround")
    assert script.load() is main
