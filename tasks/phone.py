"""Phone boundary: the call (with answering-machine detection), the voicemail, the SMS.

Events: ``secondround.candidate.called``, ``.voicemail-left``, ``.texted``.
"""

from __future__ import annotations

from enum import StrEnum

from prefect import task

from sandbox.behaviours import CallBehaviour
from tasks.effects import EFFECT_TASK, Done, EffectKey, done, fault_point, hand_over, sandbox_peers


class CallOutcome(StrEnum):
    human = "human"
    machine = "machine"
    no_answer = "no-answer"
    busy = "busy"
    failed = "failed"


class CallResult(Done):
    outcome: CallOutcome
    digits: str | None = None


_SANDBOX = {
    CallBehaviour.answer_confirm: (CallOutcome.human, "1"),
    CallBehaviour.answer_decline: (CallOutcome.human, "2"),
    CallBehaviour.answer_recruiter: (CallOutcome.human, "0"),
    CallBehaviour.answer_hangup: (CallOutcome.human, None),
    CallBehaviour.voicemail: (CallOutcome.machine, None),
    CallBehaviour.no_answer: (CallOutcome.no_answer, None),
    CallBehaviour.busy: (CallOutcome.busy, None),
    CallBehaviour.failed: (CallOutcome.failed, None),
}


@task(name="call-candidate", **EFFECT_TASK)
async def call_candidate(key: EffectKey, *, to: str, script: str) -> CallResult:
    fault_point(key, "before")
    behaviour = sandbox_peers().call(
        str(key), round_id=key.round_id, candidate_id=key.candidate_id, attempt=key.attempt, to=to, script=script
    )
    fault_point(key, "after")
    outcome, digits = _SANDBOX[behaviour]
    line = done(
        key,
        f"called {to}: {outcome.value}" + (f", pressed {digits}" if digits else ""),
        event="called",
        outcome=outcome.value,
        digits=digits,
    )
    return CallResult(**line.model_dump(), outcome=outcome, digits=digits)


@task(name="leave-voicemail", **EFFECT_TASK)
async def leave_voicemail(key: EffectKey, *, to: str, message: str) -> Done:
    hand_over(key, channel="voicemail", recipient=to, subject="voicemail", body=message)
    return done(key, f"voicemail left on {to}", event="voicemail-left")


@task(name="send-sms", **EFFECT_TASK)
async def send_sms(key: EffectKey, *, to: str, body: str) -> Done:
    hand_over(key, channel="sms", recipient=to, subject="sms", body=body)
    return done(key, f"SMS sent to {to}", event="texted")
