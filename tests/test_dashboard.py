"""The round dashboard's rows and response analytics, without Prefect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from config.round import HiringRound
from flows.day_report import Attendance, DayReport, RecordedReport
from flows.models import Decision, RecordedReply, Reply, ReplyChannel, Slot
from flows.ops.rows import LateAnswer, Row, responses, row_of, table
from sandbox.rounds import example_data
from tasks.effects import Done

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
ROUND = HiringRound.model_validate(example_data())
SLOT = Slot(start=datetime(2026, 12, 8, 9, tzinfo=UTC), end=datetime(2026, 12, 8, 15, tzinfo=UTC), room_id="fleet")


def line(step: str, attempt: int, minutes: float, detail: str = "") -> Done:
    return Done(step=step, attempt=attempt, at=T0 + timedelta(minutes=minutes), detail=detail)


def test_a_row_from_her_timeline() -> None:
    lines = [
        line("hold-room", 0, 0, "held"),
        line("call", 1, 1, "called: machine"),
        line("voicemail", 1, 2, "voicemail left on +1"),
        line("email", 1, 3, "emailed"),
        line("reply", 1, 45, "replied confirm by link"),
    ]
    row = row_of(ROUND.candidates[0], lines, state="confirmed", slot=SLOT, next_action="none", outcome="confirmed")
    assert (row.attempt, row.voicemail, row.outcome) == (1, True, "confirmed")
    assert (row.first_contact, row.last_contact, row.replied_at) == (
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=45),
    )
    [shown] = table(ROUND, [row])
    assert shown == {
        "candidate": ROUND.candidates[0].name,
        "state": "confirmed",
        "attempt": 1,
        "last contact": "Tue 01 Dec 09:03",  # the round's zone: London is on UTC in winter
        "next action": "none",
        "slot": "Tue 08 Dec 09:00",
        "room": "fleet",
        "enthusiasm": "-",
        "professionalism": "-",
        "late answer": "-",
        "the day": "-",
    }


def test_a_ring_the_recruiter_missed_is_no_contact_and_the_recruiters_own_message_is_a_voicemail() -> None:
    lines = [
        line("ring-1", 1, 1, "the recruiter did not take the call (busy)"),
        line("ring-2", 1, 20, "her voicemail answered: the recruiter left her a message"),
        line("email", 1, 21, "emailed"),
    ]
    row = row_of(ROUND.candidates[0], lines, state="waiting", slot=SLOT, next_action="wait", outcome=None)
    assert (row.first_contact, row.last_contact) == (T0 + timedelta(minutes=20), T0 + timedelta(minutes=21))
    assert row.voicemail


def test_no_reply_is_not_a_reply() -> None:
    lines = [line("email", 1, 0), line("reply", 1, 60, "no reply by the deadline (deadline)")]
    row = row_of(ROUND.candidates[0], lines, state="waiting", slot=None, next_action="retry", outcome=None)
    assert row.replied_at is None and not row.voicemail


def test_response_analytics() -> None:
    def row(cid: str, outcome: str | None, attempt: int, *, voicemail: bool = False, reply: float | None = None) -> Row:
        replied = T0 + timedelta(minutes=reply) if reply is not None else None
        return Row(
            candidate_id=cid,
            name=cid,
            state=outcome or "waiting",
            attempt=attempt,
            outcome=outcome,
            voicemail=voicemail,
            first_contact=T0,
            replied_at=replied,
        )

    rows = [
        row("a", "confirmed", 1, reply=2),
        row("b", "confirmed", 1, voicemail=True, reply=30),
        row("c", "confirmed", 2, voicemail=True, reply=90),
        row("d", "declined", 1, reply=10),
        row("e", "released", 2),
        row("f", None, 1),
    ]
    assert responses(rows) == {
        "candidates": 6,
        "decided": 5,
        "confirmed on the first attempt": "20% (1)",
        "confirmed after a voicemail": "20% (1)",
        "confirmed after a retry": "20% (1)",
        "released": "40% (2)",
        "time to reply, median": "20.0 min",
        "time to reply, slowest": "90.0 min",
        "enthusiasm by outcome": "-",
        "professionalism by outcome": "-",
        "she asked questions, of the calls recorded": "-",
        "the day, of those reported": "-",
        "no reply from the panel": "0",
        "followed the instructions, of those who came": "-",
        "no-show by the channel that reached her": "-",
        "no-show by the attempts it took": "-",
        "instructions followed by the channel that reached her": "-",
        "instructions followed by the attempts it took": "-",
    }
    assert responses([])["released"] == "-"


def test_the_recruiters_impressions_reach_her_row_the_table_and_the_analytics() -> None:
    def heard(minutes: float, **impressions: Any) -> RecordedReply:
        reply = Reply(decision=Decision.confirm, channel=ReplyChannel.recruiter, **impressions)
        return RecordedReply(step="reply", attempt=1, at=T0 + timedelta(minutes=minutes), detail="replied", reply=reply)

    no_reply = RecordedReply(
        step="reply",
        attempt=1,
        at=T0 + timedelta(minutes=90),
        detail="no reply",
        reply=Reply(decision=Decision.no_reply),
    )
    talked = [
        line("call", 1, 1),
        heard(5, enthusiasm=5, professionalism=4, questions="Is there parking? Yes."),
        no_reply,
    ]
    row = row_of(ROUND.candidates[0], talked, state="confirmed", slot=SLOT, next_action="none", outcome="confirmed")
    assert (row.enthusiasm, row.professionalism, row.talked, row.asked) == (5, 4, True, True)
    [shown] = table(ROUND, [row])
    assert (shown["enthusiasm"], shown["professionalism"]) == ("5/5", "4/5")
    quiet = heard(5, enthusiasm=2)
    other = row_of(ROUND.candidates[1], [quiet], state="declined", slot=None, next_action="none", outcome="declined")
    link = row_of(
        ROUND.candidates[2], [line("reply", 1, 3, "replied")], state="x", slot=None, next_action="", outcome="confirmed"
    )
    analytics = responses([row, other, link])
    assert analytics["enthusiasm by outcome"] == "confirmed: 5/5 x1; declined: 2/5 x1"
    assert analytics["professionalism by outcome"] == "confirmed: 4/5 x1"
    assert analytics["she asked questions, of the calls recorded"] == "50% (2 calls)"
    assert talked[1].reply.impressions() == "enthusiasm 5/5; professionalism 4/5; she asked: Is there parking? Yes."  # type: ignore[attr-defined]


def test_an_answer_after_her_decision_shows_on_the_round_table_on_its_clock() -> None:
    released = row_of(ROUND.candidates[0], [], state="released", slot=None, next_action="none", outcome="released")
    other = row_of(ROUND.candidates[1], [], state="confirmed", slot=SLOT, next_action="none", outcome="confirmed")
    late = [
        LateAnswer(candidate_id=released.candidate_id, what="decline by link", at=T0),
        LateAnswer(candidate_id=released.candidate_id, what="confirm by sms", at=T0 + timedelta(hours=30)),
    ]
    shown = {r["candidate"]: r["late answer"] for r in table(ROUND, [released, other], late=late)}
    # the latest one, on the round's clock (London: UTC in winter)
    assert shown == {released.name: "confirm by sms, Wed 02 Dec 15:00", other.name: "-"}


def test_the_panels_report_reaches_her_row_the_table_and_the_analytics() -> None:
    def day(cid: str, attempt: int, channel: ReplyChannel, report: DayReport | None) -> Row:
        answer = Reply(decision=Decision.confirm, channel=channel)
        lines: list[Done] = [RecordedReply(step="reply", attempt=attempt, at=T0, detail="replied", reply=answer)]
        if report is not None:
            lines.append(RecordedReport(step="report-reply", attempt=0, at=T0, detail="reported", report=report))
        candidate = ROUND.candidates[0].model_copy(update={"id": cid, "name": cid})
        return row_of(candidate, lines, state="confirmed", slot=SLOT, next_action="-", outcome="confirmed")

    rows = [
        day(
            "a", 1, ReplyChannel.link, DayReport(came=Attendance.on_time, dressed_as_asked=True, brought_as_asked=True)
        ),
        day("b", 1, ReplyChannel.sms, DayReport(came=Attendance.late, dressed_as_asked=True, brought_as_asked=False)),
        day("c", 2, ReplyChannel.sms, DayReport(came=Attendance.no_show, dressed_as_asked=True)),
        day("d", 1, ReplyChannel.link, DayReport(came=Attendance.no_report)),
        day("e", 2, ReplyChannel.link, None),
    ]
    assert (rows[1].reached_by, rows[1].came, rows[1].followed) == ("sms", "late", False)
    assert rows[2].followed is None  # she did not come: nothing to follow
    shown = {r["candidate"]: r["the day"] for r in table(ROUND, rows)}
    assert shown == {
        "a": "came on time; dress followed, bring followed",
        "b": "came late; dress followed, bring not followed",
        "c": "did not come",
        "d": "no report",
        "e": "-",
    }
    analytics = responses(rows)
    assert analytics["the day, of those reported"] == "late 33% (1 of 3), no show 33% (1 of 3), on time 33% (1 of 3)"
    assert analytics["no reply from the panel"] == "1"
    assert analytics["followed the instructions, of those who came"] == "50% (1 of 2)"
    assert analytics["no-show by the channel that reached her"] == "link: 0% (0 of 1); sms: 50% (1 of 2)"
    assert analytics["no-show by the attempts it took"] == "1: 0% (0 of 2); 2: 100% (1 of 1)"
    assert analytics["instructions followed by the channel that reached her"] == "link: 100% (1 of 1); sms: 0% (0 of 1)"
    assert analytics["instructions followed by the attempts it took"] == "1: 50% (1 of 2)"
