"""The decision: confirm (bookings, full details, staff briefed) or release (every hold freed,
everyone told). Events: ``secondround.candidate.confirmed`` or ``.released``.
"""

from __future__ import annotations

import asyncio

from prefect import task

from flows.logistics import Booking, arrange_catering, release_holds
from flows.messages import context, render_email
from flows.models import CallbackRequest, CallbackResult, Outcome, Reply
from flows.timeline import Timeline
from tasks.calendars import settle_hold
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done
from tasks.mail import send_email


def _key(request: CallbackRequest, step: str) -> EffectKey:
    return EffectKey(round_id=request.round.id, candidate_id=request.candidate.id, attempt=0, step=step)


@task(name="record-outcome", cache_policy=BY_BUSINESS_KEY)
async def record_outcome(key: EffectKey, *, outcome: Outcome, attempts: int) -> Done:
    event = "confirmed" if outcome is Outcome.confirmed else "released"
    return done(
        key, f"{outcome.value} after {attempts} attempt(s)", event=event, outcome=outcome.value, attempts=attempts
    )


async def settle(
    request: CallbackRequest,
    booking: Booking,
    reply: Reply | None,
    timeline: Timeline,
    *,
    outcome: Outcome,
    attempts: int,
) -> CallbackResult:
    if outcome is Outcome.confirmed:
        timeline.add(*await _confirm(request, booking))
    else:
        timeline.add(*await _release(request, booking, outcome))
    line = await record_outcome(_key(request, "outcome"), outcome=outcome, attempts=attempts)
    timeline.add(line)
    await timeline.publish(outcome.value)
    return CallbackResult(
        round_id=request.round.id,
        candidate_id=request.candidate.id,
        outcome=outcome,
        attempts=attempts,
        slot=booking.slot,
        decided_at=line.at,
        reply=reply,
        timeline=sorted(timeline.lines, key=lambda x: x.at),
    )


async def _confirm(request: CallbackRequest, booking: Booking) -> list[Done]:
    assert booking.slot is not None
    round_, candidate = request.round, request.candidate
    ctx = context(round_, candidate, booking.slot)
    subject, body = render_email("confirmation", ctx)
    sends = [send_email(_key(request, "confirmation"), to=candidate.email, subject=subject, body=body)]
    for staff_id in round_.plan.panel:
        member = round_.staff_member(staff_id)
        s_subject, s_body = render_email("staff_briefing", {**ctx, "role": member.role or "on the panel"})
        sends.append(
            send_email(
                _key(request, f"briefing-{staff_id}"),
                to=member.email,
                subject=s_subject,
                body=s_body,
                to_candidate=False,
            )
        )
    settles = [settle_hold(_key(request, f"book-{h.step}"), uid=h.uid, status="confirmed") for h in booking.holds]
    return list(await asyncio.gather(*settles, *sends))


async def _release(request: CallbackRequest, booking: Booking, outcome: Outcome) -> list[Done]:
    round_, candidate = request.round, request.candidate
    recruiter = round_.organisation.recruiter
    reason = {
        Outcome.declined: "declined",
        Outcome.released: "no reply after every attempt",
        Outcome.no_slot: "no slot fits her free times",
    }.get(outcome, outcome.value)
    lines: list[Done] = []
    if booking.slot is not None:
        ctx = context(round_, candidate, booking.slot, reason=reason)
        lines += await release_holds(request, booking.holds)
        cancelled = await arrange_catering(request, booking.slot, cancel=True)
        lines += [cancelled] if cancelled else []
        subject, body = render_email("release", ctx)
        lines.append(await send_email(_key(request, "release-notice"), to=candidate.email, subject=subject, body=body))
        for staff_id in round_.plan.panel:
            member = round_.staff_member(staff_id)
            s_subject, s_body = render_email("staff_release", ctx)
            lines.append(
                await send_email(
                    _key(request, f"release-{staff_id}"),
                    to=member.email,
                    subject=s_subject,
                    body=s_body,
                    to_candidate=False,
                )
            )
    headline = {Outcome.declined: "declined", Outcome.no_slot: "no slot available"}.get(outcome, "released")
    detail = f"{candidate.name} ({candidate.email}, {candidate.phone}): {reason}."
    subject, body = render_email("recruiter_alert", {"name": candidate.name, "headline": headline, "detail": detail})
    lines.append(
        await send_email(
            _key(request, "recruiter-alert"), to=recruiter.email, subject=subject, body=body, to_candidate=False
        )
    )
    return lines
