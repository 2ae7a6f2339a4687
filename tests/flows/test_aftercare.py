"""After "confirmed", on the local stack: reminders at their times and once, moving from her
page (same invite, higher SEQUENCE, the old time stood down) and cancelling (everything
released, the invite cancelled, no reminder after it)."""

from __future__ import annotations

from typing import Any

import pytest

from flows.models import CallbackResult, Outcome
from sandbox.harness import Harness
from tests.flows.aftercare_round import ROUND, play_aftercare

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def played(harness: Harness) -> dict[str, Any]:
    return play_aftercare(harness)


def results(played: dict[str, Any]) -> dict[str, CallbackResult]:
    return played["results"]  # type: ignore[no-any-return]


def sent(harness: Harness, cid: str) -> dict[str, Any]:
    return {e.key.split(".", 2)[2]: e for e in harness.effects(ROUND, cid)}


def test_a_confirmed_candidate_is_reminded_the_day_before_and_on_the_morning_once(
    played: dict[str, Any], harness: Harness
) -> None:
    kim = results(played)["kim"]
    assert kim.outcome is Outcome.confirmed
    [plan] = [line for line in kim.timeline if line.step == "plan-reminders"]
    mine = sent(harness, "kim")
    reminders = sorted(key for key in mine if ".reminder-" in key)
    assert "0.reminder-day-before" in reminders and "0.reminder-day-before-sms" in reminders
    assert any(key.startswith("0.reminder-morning") for key in reminders), plan.detail
    assert len(reminders) == len(set(reminders)) and len(
        [e for e in harness.effects(ROUND, "kim") if ".reminder-" in e.key]
    ) == len(reminders)
    body = mine["0.reminder-day-before"].body["body"]
    round_ = harness.rounds[ROUND]
    for essential in (
        "tomorrow",
        round_.plan.location.name if round_.plan.location else "",
        "Photo ID",
        "Ask for:  Priya Raman",
        "/r/",
    ):
        assert essential in body


def test_she_moves_her_interview_from_her_page(played: dict[str, Any], harness: Harness) -> None:
    leo = results(played)["leo"]
    page, offered = played["leo-offered"]
    assert "Book this time" in page.text and len(offered) == 1
    assert "Move my interview" in played["leo-page"].text and "Cancel my interview" in played["leo-page"].text
    assert (leo.outcome, leo.slot) == (Outcome.confirmed, offered[0])
    mine = sent(harness, "leo")
    first, moved = mine["0.confirmation"].body["invite"], mine["0.confirmation-move1"].body["invite"]
    assert first["uid"] == moved["uid"] and (first["sequence"], moved["sequence"]) == (0, 2)
    assert moved["start"] == offered[0].start.isoformat()
    panel = harness.rounds[ROUND].plan.panel
    assert {f"0.release-{p}-move1" for p in panel} <= set(mine) and {f"0.briefing-{p}-move1" for p in panel} <= set(
        mine
    )
    assert {"0.catering-cancel-move1", "0.catering-order-move1"} <= set(mine)
    assert harness.holds(ROUND, "leo") == ["CONFIRMED"] * 3  # the old time's bookings are gone
    assert not any(key.startswith("0.reminder-") for key in mine)  # the time he left was never reminded
    assert "Your new time is confirmed" in played["leo-moved"].text


def test_she_cancels_and_everything_is_released_and_nothing_reminds_her(
    played: dict[str, Any], harness: Harness
) -> None:
    mia = results(played)["mia"]
    assert mia.outcome is Outcome.cancelled
    mine = sent(harness, "mia")
    notice = mine["0.release-notice"].body
    assert notice["invite"]["method"] == "CANCEL" and notice["invite"]["sequence"] == 1
    assert notice["invite"]["uid"] == mine["0.confirmation"].body["invite"]["uid"]
    assert "cancelled" in notice["body"] and "0.catering-cancel" in mine and "0.recruiter-alert" in mine
    assert harness.holds(ROUND, "mia") == []
    assert not any(".reminder-" in key for key in mine)
    page = played["mia-page"]
    assert "Your interview is cancelled" in page.text and "<form" not in page.text and "When</dt>" not in page.text
