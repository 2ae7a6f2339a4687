"""The recruiter's live call on the real local stack: every path of recruiter mode.

The sandbox Twilio plays the recruiter (answers and presses 1, declines, is busy, does not
answer) and the candidate; both legs are real calls through our Twilio client, bridged in a
conference; the recruiter records the call on the form sent after it.
"""

from __future__ import annotations

import asyncio

import pytest

from flows.models import CallbackResult, Outcome, ReplyChannel
from sandbox.harness import Harness
from sandbox.holdings import graph_events
from tests.flows.live_round import play_live

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def outcomes(harness: Harness) -> dict[str, CallbackResult]:
    return play_live(harness)


def steps(harness: Harness, cid: str) -> list[str]:
    return [s for s in harness.steps(f"live-{cid}", cid) if s.startswith("1.")]


def lines(result: CallbackResult, step: str) -> list[str]:
    return [line.detail for line in result.timeline if line.step == step]


def test_the_recruiter_talks_to_her_and_records_the_call(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    lia = outcomes["lia"]
    assert lia.outcome is Outcome.confirmed and lia.reply is not None
    assert lia.reply.channel is ReplyChannel.recruiter
    assert (lia.reply.enthusiasm, lia.reply.professionalism) == (5, 4)
    assert steps(harness, "lia")[:3] == ["1.call-guide", "1.ring-1", "1.call"]
    assert {"1.recruiter-call", "1.recruiter-call-sms", "1.email"} <= set(steps(harness, "lia"))
    [her_leg] = [e for e in harness.effects("live-lia", "lia") if e.key.endswith(".1.call")]
    assert "This call is recorded" in her_leg.body["twiml"] and "record-from-start" in her_leg.body["twiml"]
    guide = next(e for e in harness.effects("live-lia", "lia") if e.key.endswith(".1.call-guide"))
    assert "Strong on SQL." in guide.body["body"] and "/recruiter/calls/" in guide.body["body"]
    assert any("talked to her" in d for d in lines(lia, "ring-1"))
    assert harness.holds("live-lia", "lia") == ["CONFIRMED"] * 2  # the panel, on Radicale
    room = next(line for line in lia.timeline if line.step.startswith("book-hold-room"))
    assert room.detail.startswith("booked microsoft:") and room.detail.endswith("@northwind.example")
    mailbox = room.detail.removeprefix("booked microsoft:")
    assert asyncio.run(graph_events(harness.stack.read_settings(), mailbox)) == ["CONFIRMED"]  # on Graph


def test_her_voicemail_gets_the_recruiters_own_message(outcomes: dict[str, CallbackResult], harness: Harness) -> None:
    assert outcomes["max"].outcome is Outcome.confirmed
    received = steps(harness, "max")
    assert [s for s in received if s in {"1.ring-1", "1.call", "1.voicemail", "1.email"}] == [
        "1.ring-1",
        "1.call",
        "1.voicemail",
        "1.email",
    ]
    voicemail = next(e for e in harness.effects("live-max", "max") if e.key.endswith(".1.voicemail"))
    assert voicemail.body["by"] == "recruiter"
    assert any("left her a message" in d for d in lines(outcomes["max"], "ring-1"))


def test_her_voicemail_gets_our_recording_when_the_recruiter_asks(
    outcomes: dict[str, CallbackResult], harness: Harness
) -> None:
    assert outcomes["rob"].outcome is Outcome.confirmed
    voicemail = next(e for e in harness.effects("live-rob", "rob") if e.key.endswith(".1.voicemail"))
    assert "second interview" in voicemail.body["said"]


def test_missed_rings_are_tried_again_and_are_not_her_attempts(
    outcomes: dict[str, CallbackResult], harness: Harness
) -> None:
    ned = outcomes["ned"]
    assert (ned.outcome, ned.attempts) == (Outcome.confirmed, 1)
    rings = [s for s in steps(harness, "ned") if s.startswith("1.ring-") or s == "1.call"]
    assert rings == ["1.ring-1", "1.ring-2", "1.ring-3", "1.call"]
    assert "declined" in lines(ned, "ring-1")[0] and "busy" in lines(ned, "ring-2")[0]
    assert lines(ned, "plan-ring-2") and lines(ned, "plan-ring-3")


def test_a_recruiter_who_never_answers_is_told_and_she_is_written_to(
    outcomes: dict[str, CallbackResult], harness: Harness
) -> None:
    ola = outcomes["ola"]
    assert (ola.outcome, ola.attempts) == (Outcome.confirmed, 1)
    received = steps(harness, "ola")
    assert "1.call" not in received and {"1.ring-1", "1.ring-2", "1.email", "1.sms"} <= set(received)
    assert "1.alert-recruiter-missed" in received


@pytest.mark.parametrize("cid", ["pia", "quin"])
def test_a_crash_between_the_legs_rings_neither_twice(
    outcomes: dict[str, CallbackResult], harness: Harness, cid: str
) -> None:
    assert outcomes[cid].outcome is Outcome.confirmed
    effects = [e for e in harness.effects(f"live-{cid}", cid) if e.attempt == 1]
    assert [e.key.split(".")[-1] for e in effects if e.channel == "call"] == ["ring-1", "call"]
    assert all(e.tries == 1 for e in effects if e.channel == "call")


def test_the_recruiters_meetings_are_kept_free_of_calls(outcomes: dict[str, CallbackResult]) -> None:
    sam = outcomes["sam"]
    assert sam.outcome is Outcome.confirmed
    [plan] = lines(sam, "plan-call")
    assert "recruiter call at" in plan and "recruiter's hours and meetings" in plan
    assert any(line.step == "call-window-reply" for line in sam.timeline)
