"""candidate-callback: one durable run per shortlisted candidate, from first call to decision.

It reads like the process: claim her, line up the logistics, then for each attempt call her
(the recruiter live, ``flows/live_call.py``, or automated; voicemail, email and SMS when she
does not decide on the call), wait for her reply without
holding a process (``flows/waits.py``), let her pick another time if she asks for one
(``flows/rebooking.py``), confirm or release (``flows/settle.py``), and once she is confirmed
stay with her until the day: reminders, moving or cancelling (``flows/aftercare.py``). A late
answer after her release starts her a second-chance run (``flows/second_chance.py``).
After every resume the body runs again from the top; every side effect is a task keyed by
(round, candidate, attempt, step), so the replay skips what already happened.

Events (resource ``secondround.candidate.<round>.<id>``): ``called``, ``voicemail-left``,
``emailed``, ``texted``, ``held``, ``replied``, ``no-reply``, ``confirmed``, ``released``.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prefect import flow, get_client, get_run_logger
from prefect.runtime import flow_run
from pydantic import BaseModel

from flows.aftercare import follow_through
from flows.corrections import corrected
from flows.decisions import decision_on_call, leaves_voicemail, outcome_of, put_through
from flows.deployments import candidate_tag, phone_tag, round_tag
from flows.live_call import ask_recruiter_to_record, leave_recorded_voicemail, ring_through
from flows.logistics import arrange_logistics
from flows.messages.context import MessageContext, context
from flows.messages.render import render, render_email
from flows.models import (
    CallbackRequest,
    CallbackResult,
    Contact,
    Decision,
    Outcome,
    Reply,
    ReplyChannel,
    Slot,
    Wait,
)
from flows.rebooking import let_her_pick
from flows.replies import share_slot
from flows.second_chance import second_chance
from flows.settle import alert_recruiter, settle
from flows.takeover import note_takeover
from flows.timeline import Timeline
from flows.timing import plan_call, plan_text
from flows.waits import record_reply, wait, wait_for_reply
from tasks.claims import claim_candidate
from tasks.mail import send_email
from tasks.phone import CallOutcome, CallResult, call_candidate, send_sms


def _run_name() -> str:
    request = flow_run.get_parameters()["request"]
    data = request.model_dump() if isinstance(request, BaseModel) else request
    return f"{data['candidate']['id']}@{data['round']['id']}"


@flow(name="candidate-callback", flow_run_name=_run_name, persist_result=True)
async def candidate_callback(request: CallbackRequest) -> CallbackResult:
    round_, candidate = request.round, request.candidate
    run_id = str(flow_run.get_id())
    later = request.second_chance is not None  # her first run has ended: this one takes her over
    claim = await claim_candidate(round_.id, candidate.id, run_id=run_id, after_ended=later)
    if not claim.mine:
        get_run_logger().warning("%s is handled by run %s: this run stops here", candidate.id, claim.owner)
        return CallbackResult(
            round_id=round_.id, candidate_id=candidate.id, outcome=Outcome.duplicate, owner_run_id=claim.owner
        )
    await _tag(run_id, round_.id, candidate.id, phone=candidate.phone)
    timeline = Timeline(round_, candidate)
    if claim.took_over_from:
        timeline.add(await note_takeover(request.key(f"took-over-{run_id}"), dead_run=claim.took_over_from))
    if later:
        return await second_chance(request, timeline, run_id=run_id)

    booking = await arrange_logistics(request)
    timeline.add(*booking.lines)
    if booking.slot is None:
        return await settle(request, booking, None, timeline, outcome=Outcome.no_slot, attempts=0)
    await share_slot(run_id, booking.slot)
    timeline.slot = booking.slot

    reply: Reply | None = None
    attempt = 0
    while attempt < round_.cadence.attempts and (reply is None or reply.decision is Decision.no_reply):
        attempt += 1
        request, change = await corrected(request, run_id=run_id, attempt=attempt)
        if change is not None:
            timeline.add(change)
            await _tag(run_id, round_.id, candidate.id, phone=request.candidate.phone)  # texts from her new number
        reply = await reach_out(request, booking.slot, attempt, timeline)
        if reply is None:
            reply = await wait_for_reply(request, attempt, timeline, run_id=run_id)
    booking, reply, moves = await let_her_pick(request, booking, reply, timeline, run_id=run_id)
    result = await settle(request, booking, reply, timeline, outcome=outcome_of(reply), attempts=attempt, move=moves)
    return await follow_through(request, booking, result, timeline, run_id=run_id, moves=moves)


async def reach_out(request: CallbackRequest, slot: Slot, attempt: int, timeline: Timeline) -> Reply | None:
    """One attempt: call (in her hours); if she does not decide on the call, voicemail, email and SMS."""
    ctx = context(request.round, request.candidate, slot, attempt=attempt)
    run_id = str(flow_run.get_id())
    plan = await plan_call(request.key("plan-call", attempt=attempt), request=request)
    timeline.add(plan)
    if plan.call_at is not None and plan.call_at > plan.at:
        early = await wait(request, attempt, timeline, run_id=run_id, until=plan.call_at, what=Wait.call_window)
        if early.decision is not Decision.no_reply:  # she answered an earlier message meanwhile
            return early
    phone_works = True
    if plan.call_at is not None:
        if plan.live:
            call: CallResult | Reply | None = await ring_through(request, ctx, attempt, timeline, since=plan.at)
        else:
            call = await _call(request, ctx, attempt, timeline, since=plan.at)
        if isinstance(call, Reply):  # she answered an earlier message while the recruiter was rung again
            return call
        decided = decision_on_call(call) if call is not None else None
        if decided is not None:
            on_call = Reply(decision=decided, channel=ReplyChannel.call)
            recorded = await record_reply(
                request.key(Wait.reply.recorded_step(), attempt=attempt), reply=on_call, run_id=run_id
            )
            timeline.add(recorded)
            return recorded.reply
        phone_works = call is None or call.outcome is not CallOutcome.unreachable
    return await _write(request, ctx, attempt, timeline, phone_works=phone_works)


def _again(request: CallbackRequest, attempt: int, step: Contact) -> bool:
    """A rerun's contacts from ``redo_from`` on skip their records and look at the peer again."""
    return request.redo_from is not None and request.redo_from.covers(attempt, step)


async def _call(
    request: CallbackRequest, ctx: MessageContext, attempt: int, timeline: Timeline, *, since: datetime
) -> CallResult:
    """The call, and the voicemail after the beep when a machine answers and she consented."""
    candidate, recruiter = request.candidate, request.round.organisation.recruiter
    call = await call_candidate.with_options(refresh_cache=_again(request, attempt, Contact.call))(
        request.key("call", attempt=attempt),
        to=candidate.phone,
        script=render("call_script", ctx),
        since=since,
        voicemail=candidate.consent.automated_voice,
        recruiter=recruiter.name,
        recruiter_phone=recruiter.phone or "",
    )
    timeline.add(call)
    if put_through(call):
        await ask_recruiter_to_record(request, ctx, attempt, timeline)
    if leaves_voicemail(call, candidate) and call.sid:
        await leave_recorded_voicemail(request, ctx, attempt, timeline, call_sid=call.sid)
    return call


async def _write(
    request: CallbackRequest, ctx: MessageContext, attempt: int, timeline: Timeline, *, phone_works: bool
) -> Reply | None:
    """The email with her links (the recruiter told if it is refused), and the SMS with consent,
    held until her waking hours; an answer meanwhile ends the attempt (returned)."""
    candidate = request.candidate
    email = render_email("invitation" if attempt == 1 else "retry", ctx, to=candidate.email, to_name=candidate.name)
    sent = await send_email.with_options(refresh_cache=_again(request, attempt, Contact.email))(
        request.key("email", attempt=attempt), email
    )
    timeline.add(sent)
    if sent.refused:
        alert = request.key("alert-email", attempt=attempt)
        timeline.add(await alert_recruiter(request, alert, "email refused", sent.refused))
    if not (candidate.consent.sms and phone_works):
        return None
    plan = await plan_text(request.key("plan-text", attempt=attempt), request=request)
    timeline.add(plan)
    if plan.text_at > plan.at:
        run_id = str(flow_run.get_id())
        early = await wait(request, attempt, timeline, run_id=run_id, until=plan.text_at, what=Wait.text_window)
        if early.decision is not Decision.no_reply:  # she answered the email meanwhile
            return early
    text = send_sms.with_options(refresh_cache=_again(request, attempt, Contact.sms))
    timeline.add(await text(request.key("sms", attempt=attempt), to=candidate.phone, body=render("sms", ctx)))
    return None


async def _tag(run_id: str, round_id: str, candidate_id: str, *, phone: str) -> None:
    """Tag the run even when started by hand, so replies and monitors can find it."""
    wanted = {round_tag(round_id), candidate_tag(round_id, candidate_id), phone_tag(phone), "secondround"}
    current = set(flow_run.get_tags())
    if not wanted <= current:
        async with get_client() as client:
            await client.update_flow_run(UUID(run_id), tags=sorted(current | wanted))
