"""Pure decisions: slot choice, what a call outcome means, voicemail consent, deadlines, links."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from config.errors import BadLink, ExpiredLink
from config.links import LinkClaim, make_token, verify
from config.loading import load_round
from flows.deadline import DeadlineRequest
from flows.decisions import decision_on_call, leaves_voicemail, outcome_of, reply_due
from flows.models import CallbackRequest, Contact, Decision, Outcome, RedoFrom, Reply, Slot, Wait
from flows.planning.slots import choose_slot, panel_calendar, room_calendar
from sandbox.rounds import EXAMPLE
from tasks.phone import CallOutcome, CallResult

ROUND = load_round(EXAMPLE)
UTC = timezone.utc


def call(outcome: CallOutcome, digits: str | None = None) -> CallResult:
    return CallResult(
        step="call", attempt=1, at=datetime(2026, 11, 26, tzinfo=UTC), detail="", outcome=outcome, digits=digits
    )


def test_slot_is_the_first_fit_in_her_zone_with_panel_and_room_free() -> None:
    alice = ROUND.candidate("alice-moreau")  # New York, 04:00-13:00 local = 09:00-18:00 UTC on 8 December
    slot = choose_slot(ROUND.details, alice, {})
    assert slot == Slot(
        start=datetime(2026, 12, 8, 9, tzinfo=UTC), end=datetime(2026, 12, 8, 15, tzinfo=UTC), room_id="fleet"
    )


def test_slot_respects_busy_panel_buffers_and_room_capacity() -> None:
    alice = ROUND.candidate("alice-moreau")
    tom_busy = [(datetime(2026, 12, 8, 14, tzinfo=UTC), datetime(2026, 12, 8, 15, tzinfo=UTC))]
    fleet_busy = [(datetime(2026, 12, 9, 9, tzinfo=UTC), datetime(2026, 12, 9, 17, tzinfo=UTC))]
    slot = choose_slot(
        ROUND.details, alice, {panel_calendar("tom-lindqvist"): tom_busy, room_calendar("fleet"): fleet_busy}
    )
    # 8 December cannot fit 6 h plus a 30 min buffer around Tom's meeting; on the 9th Fleet is taken
    assert slot == Slot(
        start=datetime(2026, 12, 9, 9, tzinfo=UTC), end=datetime(2026, 12, 9, 15, tzinfo=UTC), room_id="thames"
    )


def test_no_slot_when_nothing_fits_or_everything_is_excluded() -> None:
    hiro = ROUND.candidate("hiro-tanaka")
    first = choose_slot(ROUND.details, hiro, {})
    assert first is not None
    assert choose_slot(ROUND.details, hiro, {}, exclude=[first]) is None  # one day: every start overlaps it
    day = [(first.start - timedelta(hours=2), first.start + timedelta(hours=12))]
    assert choose_slot(ROUND.details, hiro, {panel_calendar("amara-okafor"): day}) is None


def test_what_a_call_means() -> None:
    assert decision_on_call(call(CallOutcome.human, "1")) is Decision.confirm
    assert decision_on_call(call(CallOutcome.human, "2")) is Decision.decline
    assert decision_on_call(call(CallOutcome.human, "0")) is None  # put through to the recruiter
    assert decision_on_call(call(CallOutcome.machine)) is None


def test_voicemail_only_for_machines_and_only_with_consent() -> None:
    consenting, refusing = ROUND.candidate("alice-moreau"), ROUND.candidate("chen-wei")
    assert leaves_voicemail(call(CallOutcome.machine), consenting)
    assert not leaves_voicemail(call(CallOutcome.machine), refusing)
    assert not leaves_voicemail(call(CallOutcome.no_answer), consenting)


def test_reply_deadline_and_outcome() -> None:
    now = datetime(2027, 3, 27, 12, tzinfo=UTC)  # the day before the EU clock change: UTC arithmetic
    assert reply_due(now, timedelta(hours=24), time_scale=1) == datetime(2027, 3, 28, 12, tzinfo=UTC)
    assert reply_due(now, timedelta(hours=24), time_scale=86400 / 12) == now + timedelta(seconds=12)
    assert outcome_of(Reply(decision=Decision.confirm)) is Outcome.confirmed
    assert outcome_of(Reply(decision=Decision.decline)) is Outcome.declined
    assert outcome_of(Reply(decision=Decision.no_reply)) is Outcome.released


def test_signed_links_refuse_tampering_and_expiry() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    claim = LinkClaim("r1", "alice", 1, "confirm", now + timedelta(days=1))
    token = make_token(b"k", claim)
    assert verify(b"k", token, now=now) == claim
    with pytest.raises(BadLink, match="changed"):
        verify(b"k", token.replace("confirm", "decline"), now=now)
    with pytest.raises(BadLink, match="changed"):
        verify(b"other", token, now=now)
    with pytest.raises(ExpiredLink, match="expired"):
        verify(b"k", token, now=now + timedelta(days=2))


def test_a_wait_names_its_pause_its_timer_and_its_record() -> None:
    assert [Wait.reply.pause_key(2), Wait.reply.timer_step(), Wait.reply.recorded_step()] == [
        "reply-2",
        "reply-timer",
        "reply",
    ]
    window = Wait.call_window
    assert [window.pause_key(1), window.timer_step(), window.recorded_step()] == [
        "call-window-1",
        "call-window-timer",
        "call-window-reply",
    ]
    assert Wait.reply.response_key(1) == "suspended-reply-1-response"  # Prefect's name for the resume input
    assert Wait.of("reply-3") is Wait.reply and Wait.of("call-window-1") is Wait.call_window
    assert [Wait.of(key) for key in (None, "", "reply", "keypad-1", "reply-x", "call-window")] == [None] * 6


def test_a_wait_before_each_ring_of_the_recruiter_has_its_own_pause_timer_and_record() -> None:
    window = Wait.call_window
    assert [window.pause_key(1, 2), window.timer_step(2), window.recorded_step(2)] == [
        "call-window-1-2",
        "call-window-2-timer",
        "call-window-2-reply",
    ]
    assert window.response_key(2, 3) == "suspended-call-window-2-3-response"
    assert Wait.of("call-window-1-2") is window and Wait.of("call-window-1-2-3") is None
    assert Wait.recorded_by("call-window-2-reply") is window
    assert Wait.recorded_by("text-window-reply") is Wait.text_window
    assert [Wait.recorded_by(step) for step in ("reply", "call", "keypad-reply")] == [None] * 3


def test_a_rerun_redoes_its_step_and_every_later_contact_only() -> None:
    redo = RedoFrom(attempt=1, step=Contact.email)
    assert not redo.covers(1, Contact.call) and not redo.covers(1, Contact.voicemail)
    assert redo.covers(1, Contact.email) and redo.covers(1, Contact.sms)
    assert all(redo.covers(2, step) for step in Contact)


def test_her_effects_are_keyed_by_round_candidate_attempt_and_step() -> None:
    request = CallbackRequest(round=ROUND.details, candidate=ROUND.candidates[0])
    assert str(request.key("booking")) == "backend-2026-12.alice-moreau.0.booking"
    assert str(request.key("sms", attempt=2)) == "backend-2026-12.alice-moreau.2.sms"


def test_a_deadline_names_one_of_our_waits() -> None:
    fields = {"flow_run_id": "r", "round_id": "x", "candidate_id": "c"}
    assert DeadlineRequest(pause_key="call-window-2", **fields).wait is Wait.call_window
    with pytest.raises(ValidationError, match="not a wait of a candidate run"):
        DeadlineRequest(pause_key="keypad-1", **fields)
