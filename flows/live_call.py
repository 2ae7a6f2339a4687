"""The recruiter's live call, one attempt (recruiter mode, the default).

The recruiter gets the call guide by email, then the recruiter's phone rings with a whisper; on
1 we dial her and bridge the two (``tasks/bridge.py``). A ring the recruiter misses (no answer,
busy, declined) is not one of her attempts: we ring again after ``calling.recruiter_retry``,
inside her call times and the recruiter's hours, waiting without holding a process. After
``calling.recruiter_rings`` misses her attempt goes ahead by email and SMS and the recruiter is
told. After a conversation the recruiter gets the form's link by email and SMS; the recording of
that form is the reply that resumes her run.

Events: ``secondround.candidate.called``, ``.recruiter-missed``, ``.voicemail-left``, ``.emailed``.
"""

from __future__ import annotations

from datetime import datetime

from prefect.runtime import flow_run

from flows.decisions import ring_again
from flows.messages.context import MessageContext
from flows.messages.render import render, render_email
from flows.models import CallbackRequest, Contact, Decision, Reply, Wait
from flows.settle import alert_recruiter
from flows.timeline import Timeline
from flows.timing import plan_call
from flows.waits import wait
from tasks.bridge import BridgedCall, Live, call_with_recruiter
from tasks.mail import send_email
from tasks.phone import CallOutcome, leave_voicemail, send_sms


async def ring_through(
    request: CallbackRequest, ctx: MessageContext, attempt: int, timeline: Timeline, *, since: datetime
) -> BridgedCall | Reply | None:
    """Ring the recruiter until a ring connects (her call), she answers meanwhile (her reply), or
    the rings run out (None: her attempt goes by email and SMS)."""
    calling, run_id = request.round.calling, str(flow_run.get_id())
    recruiter = request.round.organisation.recruiter
    guide = render_email("recruiter_guide", ctx, to=recruiter.email, to_name=recruiter.name)
    timeline.add(await send_email(request.key("call-guide", attempt=attempt), guide, to_candidate=False))
    for ring in range(1, calling.recruiter_rings + 1):
        if ring > 1:
            plan = await plan_call(
                request.key(f"plan-ring-{ring}", attempt=attempt), request=request, after=calling.recruiter_retry
            )
            timeline.add(plan)
            if plan.call_at is None:
                break
            since = plan.at
            early = await wait(
                request, attempt, timeline, run_id=run_id, until=plan.call_at, what=Wait.call_window, ring=ring
            )
            if early.decision is not Decision.no_reply:  # she answered an earlier message meanwhile
                return early
        call = await _ring(request, ctx, attempt, ring=ring, since=since)
        timeline.add(call)
        if not ring_again(call):
            await _after(request, ctx, attempt, timeline, call)
            return call
    detail = (
        f"The recruiter's phone was rung {calling.recruiter_rings} times for her attempt {attempt} without an answer"
    )
    missed = request.key("alert-recruiter-missed", attempt=attempt)
    timeline.add(await alert_recruiter(request, missed, "missed calls", f"{detail}: we are writing to her instead."))
    return None


async def _ring(
    request: CallbackRequest, ctx: MessageContext, attempt: int, *, ring: int, since: datetime
) -> BridgedCall:
    candidate, round_ = request.candidate, request.round
    again = request.redo_from is not None and request.redo_from.covers(attempt, Contact.call)
    live = Live(
        to=candidate.phone,
        recruiter_phone=round_.organisation.recruiter.phone or "",
        whisper=render("whisper", ctx),
        notice=render("recording_notice", ctx) if round_.calling.record else "",
        record=round_.calling.record,
        voicemail=candidate.consent.automated_voice,
        since=since,
    )
    ringing = call_with_recruiter.with_options(refresh_cache=again)
    return await ringing(request.key(f"ring-{ring}", attempt=attempt), live=live)


async def _after(
    request: CallbackRequest, ctx: MessageContext, attempt: int, timeline: Timeline, call: BridgedCall
) -> None:
    """A conversation: ask the recruiter to record it. Her machine and our recording: play it."""
    if call.outcome is CallOutcome.human:
        await ask_recruiter_to_record(request, ctx, attempt, timeline)
    elif call.play_recording and call.sid:
        await leave_recorded_voicemail(request, ctx, attempt, timeline, call_sid=call.sid)


async def ask_recruiter_to_record(
    request: CallbackRequest, ctx: MessageContext, attempt: int, timeline: Timeline
) -> None:
    """Right after she talked to the recruiter: the form's link and the call guide, by email and text."""
    recruiter = request.round.organisation.recruiter
    email = render_email("recruiter_call", ctx, to=recruiter.email, to_name=recruiter.name)
    timeline.add(await send_email(request.key("recruiter-call", attempt=attempt), email, to_candidate=False))
    if recruiter.phone:
        body = render("recruiter_sms", ctx)
        timeline.add(await send_sms(request.key("recruiter-call-sms", attempt=attempt), to=recruiter.phone, body=body))


async def leave_recorded_voicemail(
    request: CallbackRequest, ctx: MessageContext, attempt: int, timeline: Timeline, *, call_sid: str
) -> None:
    """Our recorded invitation, played to her machine past the beep (only with her consent)."""
    again = request.redo_from is not None and request.redo_from.covers(attempt, Contact.voicemail)
    voicemail = leave_voicemail.with_options(refresh_cache=again)
    spoken = render("voicemail", ctx)
    key = request.key("voicemail", attempt=attempt)
    timeline.add(await voicemail(key, call_sid=call_sid, to=request.candidate.phone, message=spoken))
