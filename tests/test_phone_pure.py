"""TwiML, outcome mapping and pacing: the phone's pure parts."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from config.errors import ConfigError
from tasks.clients.pacing import CallPacer
from tasks.clients.twiml import invitation, keypad_answer, voicemail
from tasks.phone import CallOutcome, outcome_of_call


def test_the_invitation_is_a_one_key_menu_and_escapes_her_name() -> None:
    xml = invitation("Hello <Zoë> & co", keypad_url="https://hr.example/twilio/keypad?run=1&attempt=2")
    gather = ElementTree.fromstring(xml).find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.get("action") == "https://hr.example/twilio/keypad?run=1&attempt=2"
    assert gather.findtext("Say") == "Hello <Zoë> & co"


def test_a_script_longer_than_twilio_accepts_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="4000"):
        voicemail("word " * 900)


@pytest.mark.parametrize(
    ("digits", "hears", "dials"),
    [
        ("1", "confirmed", None),
        ("2", "Thank you for letting us know", None),
        ("0", "Putting you through", "+4420"),
        ("7", "email", None),
    ],
)
def test_each_key_gets_its_answer(digits: str, hears: str, dials: str | None) -> None:
    xml = keypad_answer(digits, recruiter_name="Priya", recruiter_phone="+4420", caller_id="+15005550006")
    root = ElementTree.fromstring(xml)
    assert hears in (root.findtext("Say") or "")
    assert root.findtext("Dial") == dials


@pytest.mark.parametrize(
    ("status", "answered_by", "outcome"),
    [
        ("completed", "human", CallOutcome.human),
        ("completed", "unknown", CallOutcome.human),
        ("in-progress", "machine_end_beep", CallOutcome.machine),
        ("completed", "fax", CallOutcome.machine),
        ("no-answer", None, CallOutcome.no_answer),
        ("busy", None, CallOutcome.busy),
        ("failed", None, CallOutcome.failed),
        ("canceled", None, CallOutcome.failed),
    ],
)
def test_twilio_status_and_detection_map_to_one_outcome(
    status: str, answered_by: str | None, outcome: CallOutcome
) -> None:
    assert outcome_of_call(status, answered_by) is outcome


def test_the_pacer_spaces_concurrent_callers_exactly(tmp_path: Path) -> None:
    async def burst() -> list[float]:
        pacers = [CallPacer(tmp_path / "calls", per_second=5) for _ in range(8)]  # one per "run"
        return sorted(await asyncio.gather(*(p.wait_turn() for p in pacers)))

    start = time.time()
    slots = asyncio.run(burst())
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert all(abs(g - 0.2) < 1e-6 for g in gaps)
    assert time.time() - start >= 1.4 - 0.05
