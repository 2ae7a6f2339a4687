"""After "confirmed", on the local stack: reminders at their times and once, moving from her
page (same invite, higher SEQUENCE, the old time stood down), cancelling (everything released,
the invite cancelled, no reminder after it), and the day itself: the panel's report from its
form or the run's resume form, a no-show told to the recruiter at once, no report by the
deadline."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

from flows.day_report import Attendance
from flows.models import CallbackResult, Outcome
from flows.ops.dashboard import read_row, read_rows
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
    assert any("slot offered to Oli Test (waitlist)" in line.detail for line in mia.timeline)
    tags, oli = played["oli"]  # the waitlist's run holds her slot, is called, and declines
    assert "waitlist" in tags and (oli.outcome, oli.slot) == (Outcome.declined, mia.slot)
    page = played["mia-page"]
    assert "Your interview is cancelled" in page.text and "<form" not in page.text and "When</dt>" not in page.text


def test_the_panel_reports_on_her_day_from_its_form_and_her_story_ends(
    played: dict[str, Any], harness: Harness
) -> None:
    kim = results(played)["kim"]
    assert "Did she come?" in played["kim-form"].text and "came on time" in played["kim-reported"].text
    assert kim.report is not None and kim.report.came is Attendance.on_time and kim.report.followed is True
    mine = sent(harness, "kim")
    panel = harness.rounds[ROUND].plan.panel
    assert {f"0.report-ask-{p}" for p in panel} <= set(mine)  # each panel member asked, once
    assert len([e for e in harness.effects(ROUND, "kim") if ".report-ask-" in e.key]) == len(panel)
    [line] = [line for line in kim.timeline if line.step == "report-reply"]
    assert "came on time" in line.detail and "Amara Okafor" in line.detail
    assert "0.alert-no-show" not in mine
    row = asyncio.run(read_row(ROUND, "kim"))
    assert row is not None and row.outcome == "confirmed" and row.came == "on_time" and row.followed is True


def test_a_no_show_recorded_in_the_runs_resume_form_tells_the_recruiter_at_once(
    played: dict[str, Any], harness: Harness
) -> None:
    leo = results(played)["leo"]
    assert leo.report is not None and leo.report.came is Attendance.no_show
    mine = sent(harness, "leo")
    assert "1.report-ask-" + harness.rounds[ROUND].plan.panel[0] in mine  # asked about the time he moved to
    alert = mine["1.alert-no-show"]
    assert alert.recipient == harness.rounds[ROUND].organisation.recruiter.email
    assert "did not come" in alert.body["subject"] and "no word from him" in alert.body["body"]


async def rounds_table() -> dict[str, dict[str, Any]]:
    """The round's table artifact, by candidate name."""
    async with get_client() as client:
        [artifact] = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[f"round-{ROUND}"])), limit=1
        )
    rows = artifact.data if isinstance(artifact.data, list) else json.loads(str(artifact.data))
    return {ROUND: {row["candidate"]: row for row in rows}}


def test_no_report_by_the_deadline_is_recorded_and_a_cancelled_interview_asks_nobody(
    played: dict[str, Any], harness: Harness
) -> None:
    ned = results(played)["ned"]
    assert ned.outcome is Outcome.confirmed and ned.report is not None and ned.report.came is Attendance.no_report
    assert not any(".alert-no-show" in e.key for e in harness.effects(ROUND, "ned"))
    assert not any(".report-ask-" in e.key for e in harness.effects(ROUND, "mia"))
    rows = {row.candidate_id: row for row in asyncio.run(read_rows(ROUND))}
    assert (rows["ned"].came, rows["ned"].day) == ("no_report", "no report")
    assert rows["mia"].came is None and rows["mia"].outcome == "cancelled"
    assert "kept for the recruiter" in played["ned-late"]  # a report after the deadline: on the table, not his record
    assert "the panel's report: came late" in str(asyncio.run(rounds_table())[ROUND]["Ned Test"])


def test_the_evening_before_each_panel_member_gets_the_days_list_once(played: dict[str, Any], harness: Harness) -> None:
    assert played["day-lists"] == ["Completed", "Completed"]
    kim, round_ = results(played)["kim"], harness.rounds[ROUND]
    assert kim.slot is not None
    day = kim.slot.start.astimezone(ZoneInfo(round_.venue_zone)).date()
    lists = harness.effects(ROUND, f"day-{day}")
    assert sorted(e.key.rsplit(".", 1)[1] for e in lists) == sorted(f"day-list-{p}" for p in round_.plan.panel)
    assert all(e.tries == 1 for e in lists)  # the second run sent nothing, not even to be deduplicated
    [amara] = [e for e in lists if e.recipient == round_.staff_member(round_.plan.panel[0]).email]
    body = amara.body["body"]
    assert "Kim" in body and "Mia" not in body and "Leo" not in body  # only tomorrow's, and not the cancelled
    assert (
        round_.staff_member(round_.plan.panel[0]).role in body
        and "1 second interview with you" in amara.body["subject"]
    )
