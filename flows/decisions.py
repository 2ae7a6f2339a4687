"""Pure decisions of the callback: no I/O, no clock of their own, easy to test."""

from __future__ import annotations

from datetime import datetime, timedelta

from config.round import Candidate
from flows.models import Decision, Outcome, Reply
from tasks.bridge import BridgedCall, RingOutcome
from tasks.phone import CallOutcome, CallResult

KEYPAD = {"1": Decision.confirm, "2": Decision.decline}


def decision_on_call(call: CallResult) -> Decision | None:
    """A person who pressed 1 or 2 has decided; anything else leaves us waiting."""
    if call.outcome is CallOutcome.human and call.digits in KEYPAD:
        return KEYPAD[call.digits]
    return None


def put_through(call: CallResult) -> bool:
    """She pressed 0 and talked to the recruiter, who then records the call."""
    return call.outcome is CallOutcome.human and call.digits == "0"


def ring_again(call: BridgedCall) -> bool:
    """The recruiter missed the ring (no answer, busy, declined, gone): ring again later."""
    return call.ring is not RingOutcome.connected


def leaves_voicemail(call: CallResult, candidate: Candidate) -> bool:
    """Only a machine gets a voicemail, and only with her consent to automated voice."""
    return call.outcome is CallOutcome.machine and candidate.consent.automated_voice


def reply_due(now: datetime, window: timedelta, *, time_scale: float) -> datetime:
    """When the wait for a reply ends; ``time_scale`` compresses it for the demo."""
    return now + window / time_scale


def outcome_of(reply: Reply | None) -> Outcome:
    if reply is not None and reply.decision is Decision.confirm:
        return Outcome.confirmed
    if reply is not None and reply.decision is Decision.decline:
        return Outcome.declined
    if reply is not None and reply.decision is Decision.another_time:
        return Outcome.rescheduling
    return Outcome.released
