"""Mail boundary: invitations, retries, confirmations, release notices, staff and caterer mail.

Events: ``secondround.candidate.emailed`` for mail to the candidate, ``.staff-notified`` otherwise.
"""

from __future__ import annotations

from prefect import task

from tasks.effects import EFFECT_TASK, Done, EffectKey, done, hand_over


@task(name="send-email", **EFFECT_TASK)
async def send_email(key: EffectKey, *, to: str, subject: str, body: str, to_candidate: bool = True) -> Done:
    hand_over(key, channel="email", recipient=to, subject=subject, body=body)
    return done(
        key, f"emailed {to}: {subject}", event="emailed" if to_candidate else "staff-notified", to=to, kind=key.step
    )
