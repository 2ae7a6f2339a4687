"""Every path of candidate-callback on the real local stack, all candidates run at once.

Each candidate's sandbox script picks her path; some reply later the way candidates do (a link,
an SMS, the recruiter's form in the UI). Every run is resumed at least once on the way, so
"tries == 1" everywhere also proves that replays after a resume send nothing twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
from email.message import EmailMessage
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

from flows.models import CallbackResult, Outcome, ReplyChannel, Wait
from sandbox.harness import Harness
from tests.flows.paths_round import CALLS, ROUND, TOMORROW, play_paths

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def outcomes(harness: Harness) -> dict[str, CallbackResult]:
    return play_paths(harness)


def received(harness: Harness, cid: str) -> list[str]:
    return [s for s in harness.steps(ROUND, cid) if not s.startswith("0.")]


def test_answers_and_confirms_on_the_call(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    ann = outcomes["ann"]
    assert (ann.outcome, ann.attempts) == (Outcome.confirmed, 1)
    assert received(harness, "ann") == ["1.call"]
    settled = harness.steps(ROUND, "ann")
    assert {"0.confirmation", f"0.briefing-amara-okafor-{ROUND}", "0.catering-order"} <= set(settled)
    confirmation = next(e for e in harness.effects(ROUND, "ann") if e.key.endswith(".0.confirmation"))
    assert confirmation.body["attachments"] == ["invite.ics"] and confirmation.body["tls"] is True
    assert "text/calendar" in confirmation.body["parts"] and "text/html" in confirmation.body["parts"]
    assert harness.holds(ROUND, "ann") == ["CONFIRMED"] * 3  # the room and both panel members, on Radicale


def test_answers_and_declines_on_the_call(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    assert (outcomes["ben"].outcome, outcomes["ben"].attempts) == (Outcome.declined, 1)
    settled = harness.steps(ROUND, "ben")
    assert {"0.recruiter-alert", "0.alert-release-notice"} <= set(settled)
    assert not [s for s in settled if "catering" in s]  # ordered only on confirmation: a decline costs nothing
    assert "0.confirmation" not in settled and "0.release-notice" not in settled  # refused: never delivered
    refused = next(line for line in outcomes["ben"].timeline if line.step == "release-notice")
    assert "refused" in refused.detail and "550" in refused.detail
    assert harness.holds(ROUND, "ben") == []  # every hold released


def test_voicemail_then_confirms_by_link(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    cat = outcomes["cat"]
    assert (cat.outcome, cat.attempts) == (Outcome.confirmed, 1)
    assert cat.reply is not None and cat.reply.channel is ReplyChannel.link
    assert received(harness, "cat") == ["1.call", "1.voicemail", "1.email", "1.sms"]


def test_no_automated_call_nor_voicemail_without_consent(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    for cid in ("dan", "eve"):
        assert (outcomes[cid].outcome, outcomes[cid].attempts) == (Outcome.released, 2)
        assert received(harness, cid) == ["1.email", "2.email"]  # the sandbox would have answered a call
        plans = [line.detail for line in outcomes[cid].timeline if line.step == "plan-call"]
        assert plans and all("not agreed to a recorded voice" in detail for detail in plans)
        assert "0.release-notice" in harness.steps(ROUND, cid)
        assert any(line.step == "reply" and "no reply" in line.detail for line in outcomes[cid].timeline)


def test_second_attempt_answers(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    assert (outcomes["fay"].outcome, outcomes["fay"].attempts) == (Outcome.confirmed, 2)
    assert received(harness, "fay") == ["1.call", "1.email", "2.call"]


def test_the_recruiter_who_talked_to_her_records_the_call(
    outcomes: dict[str, CallbackResult], harness: Harness
) -> None:
    gus = outcomes["gus"]
    assert gus.outcome is Outcome.confirmed and gus.reply is not None
    assert (gus.reply.channel, gus.reply.enthusiasm, gus.reply.professionalism) == (ReplyChannel.recruiter, 4, 5)
    sent = {e.key.split(".", 2)[-1]: e for e in harness.effects(ROUND, "gus")}
    assert sent["1.recruiter-call"].recipient == "priya.raman@northwind.example"  # the form's link, by email
    assert sent["1.recruiter-call-sms"].recipient == "+442079460100"  # and by text
    reply = next(line for line in gus.timeline if line.step == "reply")
    assert "enthusiasm 4/5; professionalism 5/5; she asked: Is there parking?" in reply.detail
    filed = (harness.stack.outbox / f"{ROUND}.gus.0.briefing-amara-okafor-{ROUND}.eml").read_bytes()
    parsed = email.message_from_bytes(filed, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    briefing = body.get_content() if body is not None else ""
    assert "She asked on the call: Is there parking? Two visitor spaces." in briefing
    assert "Good to know: Vegetarian lunch, please" in briefing


def test_a_reply_that_loses_the_race_to_the_deadline_still_counts(
    outcomes: dict[str, CallbackResult], harness: Harness
) -> None:
    ida = outcomes["ida"]
    assert (ida.outcome, ida.attempts) == (Outcome.confirmed, 1)
    assert received(harness, "ida") == ["1.call", "1.voicemail", "1.email"]


def test_waits_durably_for_her_call_time(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    jan = outcomes["jan"]
    assert (jan.outcome, jan.attempts) == (Outcome.confirmed, 1)
    steps = [line.step for line in jan.timeline]
    window = Wait.call_window
    assert steps.index("plan-call") < steps.index(window.timer_step()) < steps.index(window.recorded_step())
    assert steps.index(window.recorded_step()) < steps.index("call")
    plan = next(line for line in jan.timeline if line.step == "plan-call")
    assert f"call at {TOMORROW:%Y-%m-%d} 10:00Z" in plan.detail  # London is on UTC in winter


def test_a_text_at_night_waits_for_her_morning(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    mia = outcomes["mia"]
    assert (mia.outcome, mia.attempts) == (Outcome.released, 2)
    assert received(harness, "mia") == ["1.email", "1.sms", "2.email", "2.sms"]
    lines = [line for line in mia.timeline if line.attempt == 1]
    steps = [line.step for line in lines]
    window = Wait.text_window
    assert steps.index("email") < steps.index("plan-text") < steps.index(window.timer_step())
    assert steps.index(window.timer_step()) < steps.index(window.recorded_step()) < steps.index("sms")
    plan = next(line for line in lines if line.step == "plan-text")
    assert "quiet hours on her clock" in plan.detail


def test_no_call_once_her_call_times_are_over(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    assert outcomes["kim"].outcome is Outcome.confirmed
    assert received(harness, "kim") == ["1.email", "1.sms"]
    assert any("her call times are over" in line.detail for line in outcomes["kim"].timeline)


def test_a_number_twilio_refuses_falls_back_to_email(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    lea = outcomes["lea"]
    assert lea.outcome is Outcome.confirmed
    assert received(harness, "lea") == ["1.email"]  # no call reached her, and no SMS to a dead number
    call = next(line for line in lea.timeline if line.step == "call")
    assert "not called" in call.detail and "21217" in call.detail


def test_declines_by_sms(outcomes: dict[str, CallbackResult]) -> None:
    assert outcomes["hal"].outcome is Outcome.declined


def test_nothing_was_ever_sent_twice(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    effects = harness.ledger.effects(round_id=ROUND)
    assert effects and all(e.tries == 1 for e in effects), [e.key for e in effects if e.tries > 1]


def test_no_double_bookings_and_every_candidate_has_her_own_day(outcomes: dict[str, CallbackResult]) -> None:
    slots = [r.slot for r in outcomes.values() if r.slot]
    assert len(slots) == len(CALLS)
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            assert not (a.start < b.end and b.start < a.end)


def test_timeline_artifacts_and_events(outcomes: dict[str, CallbackResult]) -> None:
    async def look() -> tuple[Any, list[str]]:
        async with get_client() as client:
            artifacts = await client.read_latest_artifacts(
                artifact_filter=ArtifactCollectionFilter(
                    key=ArtifactCollectionFilterKey(any_=[f"timeline-{ROUND}-cat"])
                )
            )
            response = await client._client.post(
                "/events/filter",
                json={
                    "filter": {
                        "resource": {"id": [f"secondround.candidate.{ROUND}.cat"]},
                        "occurred": {"since": "2026-01-01T00:00:00Z"},
                    },
                    "limit": 50,
                },
            )
            response.raise_for_status()
            return artifacts, [e["event"] for e in response.json()["events"]]

    artifacts, events = asyncio.run(look())
    assert artifacts and "confirmed" in (artifacts[0].description or "")
    assert {
        "secondround.candidate.called",
        "secondround.candidate.voicemail-left",
        "secondround.candidate.emailed",
        "secondround.candidate.replied",
        "secondround.candidate.confirmed",
    } <= set(events)
    assert sorted(events).count("secondround.candidate.called") == 1


def test_round_dashboard_and_response_analytics(outcomes: dict[str, CallbackResult]) -> None:
    async def look() -> dict[str, Any]:
        async with get_client() as client:
            found = await client.read_latest_artifacts(
                artifact_filter=ArtifactCollectionFilter(
                    key=ArtifactCollectionFilterKey(any_=[f"round-{ROUND}", f"round-{ROUND}-responses"])
                )
            )
        return {a.key: a.data for a in found}

    latest = asyncio.run(look())
    rows = (
        json.loads(latest[f"round-{ROUND}"]) if isinstance(latest[f"round-{ROUND}"], str) else latest[f"round-{ROUND}"]
    )
    states = {row["candidate"].split()[0].lower(): row["state"] for row in rows}
    assert states == {cid: outcomes[cid].outcome.value for cid in CALLS}
    gus = next(row for row in rows if row["candidate"].startswith("Gus"))
    assert (gus["enthusiasm"], gus["professionalism"]) == ("4/5", "5/5")
    fay = next(row for row in rows if row["candidate"].startswith("Fay"))
    assert fay["attempt"] == 2 and fay["room"] != "-" and fay["next action"] == "none"
    markdown = str(latest[f"round-{ROUND}-responses"])
    # 13 decided: first attempt ann gus jan kim lea; after voicemail cat ida; after retry fay;
    # released ben dan eve hal mia
    for share in ("| confirmed on the first attempt | 38% (5) |", "| confirmed after a voicemail | 15% (2) |"):
        assert share in markdown
    assert "| confirmed after a retry | 8% (1) |" in markdown and "| released | 38% (5) |" in markdown
