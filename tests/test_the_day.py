"""The day itself without a stack: the panel's request for a report, the waits that lead to it,
its deadline's "no report", and the report in a few words."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import pytest

from config.links import verify
from flows.day_lists import tomorrow_if_evening
from flows.day_report import Attendance, DayReport
from flows.deadline import DeadlineRequest
from flows.messages.context import PANEL, context
from flows.messages.render import panel_report_email, staff_email
from flows.models import Decision, Reply, Wait
from tests.test_messages import ALICE, ROUND, SLOT


def test_the_panel_is_asked_for_the_days_report_with_a_link_open_after_the_interview() -> None:
    member = ROUND.staff[0]
    asked = panel_report_email(ROUND, ALICE, SLOT, member, move=1)
    [link] = [word for word in asked.text.split() if "/panel/reports/" in word]
    claim = verify(b"sandbox", link.rsplit("/", 1)[1], now=SLOT.end)  # still open at the planned end
    assert (claim.candidate_id, claim.attempt, claim.choice) == (ALICE.id, 1, PANEL)
    assert claim.expires == SLOT.end + ROUND.changes.report_within
    assert asked.to == member.email and ALICE.name in asked.subject
    for essential in (member.name, "on time, late, not at all", ROUND.plan.attire or "", "48 h"):
        assert essential in asked.text
    assert panel_report_email(ROUND, ALICE, SLOT, member, move=1).text == asked.text  # a replay sends the same


@pytest.mark.parametrize(
    ("wait", "key", "timer", "record"),
    [
        (Wait.interview, "interview-1", "interview-timer", "interview-reply"),
        (Wait.report, "report-1", "report-timer", "report-reply"),
    ],
)
def test_the_waits_of_the_day_have_keys_of_their_own(wait: Wait, key: str, timer: str, record: str) -> None:
    assert (wait.pause_key(1), wait.timer_step(), wait.recorded_step()) == (key, timer, record)
    assert Wait.of(key) is wait and Wait.recorded_by(record) is wait
    assert DeadlineRequest(flow_run_id="x", pause_key=key, round_id="r", candidate_id="c").wait is wait


def test_only_a_report_for_this_time_answers_the_report_wait() -> None:
    report = Reply(decision=Decision.confirm, answers="report-1", report=DayReport(came=Attendance.late))
    assert report.answers_wait("report-1") and not report.answers_wait("report-0")
    assert not report.answers_wait("reply-1") and not report.answers_wait("interview-1")
    change = Reply(decision=Decision.decline, answers="day-1")
    assert not change.answers_wait("report-1") and not Reply(decision=Decision.confirm).answers_wait("report-1")


def test_a_report_in_a_few_words() -> None:
    full = DayReport(came=Attendance.late, dressed_as_asked=False, enthusiasm=4, professionalism=5, by="Amara")
    assert full.summary() == "came late; dress not followed; enthusiasm 4/5; professionalism 5/5"
    assert full.followed is False and DayReport(came=Attendance.on_time).followed is None
    assert DayReport(came=Attendance.no_show, enthusiasm=3).summary() == "did not come"
    assert DayReport(came=Attendance.no_report).summary() == "no report"


def test_the_day_list_goes_out_the_evening_before_on_the_venues_clock() -> None:
    evening = time(18)
    london = "Europe/London"
    assert tomorrow_if_evening(datetime(2026, 12, 13, 17, 59, tzinfo=UTC), zone=london, evening=evening) is None
    assert tomorrow_if_evening(datetime(2026, 12, 13, 18, 0, tzinfo=UTC), zone=london, evening=evening) == date(
        2026, 12, 14
    )
    # 18:00 in Tokyo is 09:00 UTC: the evening there comes while it is morning in London
    assert tomorrow_if_evening(datetime(2026, 12, 13, 9, 0, tzinfo=UTC), zone="Asia/Tokyo", evening=evening) == date(
        2026, 12, 14
    )


def test_the_day_list_names_each_candidate_on_the_venues_clock_and_the_members_part() -> None:
    other = ROUND.candidates[1]
    later = SLOT.model_copy(update={"start": SLOT.start + timedelta(hours=3), "end": SLOT.end + timedelta(hours=3)})
    first, second = context(ROUND, ALICE, SLOT), context(ROUND, other, later)
    member = ROUND.staff[1]
    listed = staff_email("staff_day_list", dataclasses.replace(first, day_list=(first, second)), member)
    assert "2 second interviews with you" in listed.subject and listed.to == member.email
    assert listed.text.index(ALICE.name) < listed.text.index(other.name)
    assert first.staff_when in listed.text and second.staff_when in listed.text and (member.role or "") in listed.text
