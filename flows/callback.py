"""candidate-callback: one durable run per shortlisted candidate, from first call to decision.

It reads like the process: claim her, line up the logistics, then for each attempt call her
(voicemail, email and SMS when she does not decide on the call), wait for her reply without
holding a process, and finally confirm or release. After every resume the body runs again from
the top; every side effect is a task keyed by (round, candidate, attempt, step), so the replay
skips what already happened.

Events (resource ``secondround.candidate.<round>.<id>``): ``called``, ``voicemail-left``,
``emailed``, ``texted``, ``held``, ``replied``, ``no-reply``, ``confirmed``, ``released``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from prefect import flow, get_client, get_run_logger, task
from prefect.flow_runs import asuspend_flow_run
from prefect.input.actions import aread_flow_run_input
from prefect.results import get_result_store
from prefect.runtime import flow_run
from pydantic import BaseModel

from config.settings import get_settings
from flows.deadline import arm_deadline
from flows.decisions import decision_on_call, leaves_voicemail, outcome_of, reply_due
from flows.deployments import candidate_tag, phone_tag, round_tag
from flows.logistics import arrange_logistics
from flows.messages.context import context
from flows.messages.render import render, render_email
from flows.models import (
    CallbackRequest,
    CallbackResult,
    CallPlan,
    Contact,
    Decision,
    Outcome,
    RecordedReply,
    Reply,
    ReplyChannel,
    Slot,
)
from flows.planning.windows import next_call_time
from flows.replies import inbox, share_slot
from flows.settle import alert_recruiter, settle
from flows.timeline import Timeline
from tasks.claims import claim_candidate
from tasks.effects import BY_BUSINESS_KEY, EffectKey, done
from tasks.mail import send_email
from tasks.phone import CallOutcome, call_candidate, leave_voicemail, send_sms


def _run_name() -> str:
    request = flow_run.get_parameters()["request"]
    data = request.model_dump() if isinstance(request, BaseModel) else request
    return f"{data['candidate']['id']}@{data['round']['id']}"


@flow(name="candidate-callback", flow_run_name=_run_name, persist_result=True)
async def candidate_callback(request: CallbackRequest) -> CallbackResult:
    round_, candidate = request.round, request.candidate
    run_id = str(flow_run.get_id())
    claim = await claim_candidate(round_.id, candidate.id, run_id=run_id)
    if not claim.mine:
        get_run_logger().warning("%s is handled by run %s: this run stops here", candidate.id, claim.owner)
        return CallbackResult(
            round_id=round_.id, candidate_id=candidate.id, outcome=Outcome.duplicate, owner_run_id=claim.owner
        )
    await _tag(run_id, round_.id, candidate.id, phone=candidate.phone)
    timeline = Timeline(round_, candidate)

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
        reply = await reach_out(request, booking.slot, attempt, timeline)
        if reply is None:
            reply = await wait_for_reply(request, attempt, timeline, run_id=run_id)
    return await settle(request, booking, reply, timeline, outcome=outcome_of(reply), attempts=attempt)


async def reach_out(request: CallbackRequest, slot: Slot, attempt: int, timeline: Timeline) -> Reply | None:
    """One attempt: call (in her hours); if she does not decide on the call, voicemail, email and SMS."""
    round_, candidate = request.round, request.candidate
    ctx = context(round_, candidate, slot, attempt=attempt)
    run_id = str(flow_run.get_id())

    def key(step: str) -> EffectKey:
        return EffectKey(round_id=round_.id, candidate_id=candidate.id, attempt=attempt, step=step)

    def again(step: Contact) -> bool:
        """A rerun's steps from ``redo_from`` on skip their records and look at the peer again."""
        redo = request.redo_from
        order = list(Contact)
        return redo is not None and (attempt, order.index(step)) >= (redo.attempt, order.index(redo.step))

    plan = await plan_call(key("plan-call"), request=request)
    timeline.add(plan)
    if plan.call_at is not None and plan.call_at > plan.at:
        early = await wait(request, attempt, timeline, run_id=run_id, until=plan.call_at, what="call-window")
        if early.decision is not Decision.no_reply:  # she answered an earlier message meanwhile
            return early
    if plan.call_at is not None:
        recruiter = round_.organisation.recruiter
        call = await call_candidate.with_options(refresh_cache=again(Contact.call))(
            key("call"),
            to=candidate.phone,
            script=render("call_script", ctx),
            since=plan.at,
            voicemail=candidate.consent.automated_voice,
            recruiter=recruiter.name,
            recruiter_phone=recruiter.phone or "",
        )
        timeline.add(call)
        decided = decision_on_call(call)
        if decided is not None:
            recorded = await record_reply(
                key("reply"), reply=Reply(decision=decided, channel=ReplyChannel.call), run_id=run_id
            )
            timeline.add(recorded)
            return recorded.reply
        if leaves_voicemail(call, candidate) and call.sid:
            spoken = render("voicemail", ctx)
            voicemail = leave_voicemail.with_options(refresh_cache=again(Contact.voicemail))
            timeline.add(await voicemail(key("voicemail"), call_sid=call.sid, to=candidate.phone, message=spoken))
        phone_works = call.outcome is not CallOutcome.unreachable
    else:
        phone_works = True
    kind = "invitation" if attempt == 1 else "retry"
    email = render_email(kind, ctx, to=candidate.email, to_name=candidate.name)
    sent = await send_email.with_options(refresh_cache=again(Contact.email))(key("email"), email)
    timeline.add(sent)
    if sent.refused:
        timeline.add(await alert_recruiter(request, key("alert-email"), "email refused", sent.refused))
    if candidate.consent.sms and phone_works:
        text = send_sms.with_options(refresh_cache=again(Contact.sms))
        timeline.add(await text(key("sms"), to=candidate.phone, body=render("sms", ctx)))
    return None


@task(name="plan-call", cache_policy=BY_BUSINESS_KEY)
async def plan_call(key: EffectKey, *, request: CallbackRequest) -> CallPlan:
    """Decide once when this attempt's call goes out; replays reuse the decision."""
    candidate = request.candidate
    now = datetime.now(timezone.utc)
    call_at = next_call_time(now, candidate.call_times, candidate.time_zone)
    if call_at is None:
        detail = "no call: her call times are over; email only"
    elif call_at > now:
        detail = f"outside her call times or 08:00-21:00 her time: call at {call_at:%Y-%m-%d %H:%M}Z"
    else:
        detail = "inside her call times: calling now"
    line = done(key, detail)
    return CallPlan(**line.model_dump(), call_at=call_at)


async def wait_for_reply(request: CallbackRequest, attempt: int, timeline: Timeline, *, run_id: str) -> Reply:
    """Suspend (no process held) until a reply, the recruiter or the deadline resumes us."""
    window = request.round.cadence.reply_window
    until = datetime.now(timezone.utc) + window  # only read when the timer is first armed
    return await wait(request, attempt, timeline, run_id=run_id, until=until, what="reply")


async def wait(
    request: CallbackRequest, attempt: int, timeline: Timeline, *, run_id: str, until: datetime, what: str
) -> Reply:
    """Suspend until ``until`` (scaled by the time scale) or an earlier reply; the timer is a
    scheduled ``reply-deadline`` run, so nothing is held meanwhile."""
    round_, candidate = request.round, request.candidate
    key = EffectKey(round_id=round_.id, candidate_id=candidate.id, attempt=attempt, step=f"{what}-timer")
    now = datetime.now(timezone.utc)
    due = reply_due(now, until - now, time_scale=get_settings().time_scale)
    pause_key = f"{what}-{attempt}"
    step = "reply" if what == "reply" else f"{what}-reply"
    recorded_key = key.model_copy(update={"step": step})
    timeline.add(await arm_deadline(key, flow_run_id=run_id, pause_key=pause_key, due=due))
    if await get_result_store().aexists(str(recorded_key)):
        # this wait ended before, in this run or in one it took over from (a rerun): its record
        # decides; a rerun's new timer for it finds nothing waiting on it and does nothing
        recorded = await record_reply(recorded_key, reply=Reply(decision=Decision.no_reply), run_id=run_id)
        timeline.add(recorded)
        return recorded.reply
    earlier = await aread_flow_run_input(f"suspended-{pause_key}-response", flow_run_id=UUID(run_id))
    if earlier is not None:
        # this run was resumed here before it crashed and was retried: a retry makes Prefect
        # forget the run's pauses, and suspending again would wait for a timer that has fired
        reply = Reply(**earlier)
    else:
        waiting = "a reply to attempt" if what == "reply" else "her call window for attempt"
        then = "no reply: next attempt" if attempt < round_.cadence.attempts else "no reply: release"
        if what != "reply":
            then = "call her"
        await timeline.publish(f"waiting for {waiting} {attempt}", next_action=f"{then} at {due:%d %b %H:%M:%S} UTC")
        reply = await asuspend_flow_run(wait_for_input=Reply, key=pause_key)
    recorded = await record_reply(recorded_key, reply=reply, run_id=run_id)
    timeline.add(recorded)
    return recorded.reply


@task(name="record-reply", cache_policy=BY_BUSINESS_KEY)
async def record_reply(key: EffectKey, *, reply: Reply, run_id: str) -> RecordedReply:
    """Settle what a wait ended with, once: a stored answer beats the deadline's "no reply"
    (the two can resume the run at the same moment). Cached, so replays decide the same."""
    if reply.decision is Decision.no_reply:
        stored = await inbox(UUID(run_id))
        reply = stored[0] if stored else reply
    if reply.decision is Decision.no_reply:
        if key.step.startswith("call-window"):
            line = done(key, "her call time has come: calling")
        else:
            line = done(key, f"no reply by the deadline ({reply.channel.value})", event="no-reply")
    else:
        note = f"; notes: {reply.notes}" if reply.notes else ""
        line = done(
            key,
            f"replied {reply.decision.value} by {reply.channel.value}{note}",
            event="replied",
            decision=reply.decision.value,
            channel=reply.channel.value,
            enthusiasm=reply.enthusiasm,
        )
    return RecordedReply(**line.model_dump(), reply=reply)


async def _tag(run_id: str, round_id: str, candidate_id: str, *, phone: str) -> None:
    """Tag the run even when started by hand, so replies and monitors can find it."""
    wanted = {round_tag(round_id), candidate_tag(round_id, candidate_id), phone_tag(phone), "secondround"}
    current = set(flow_run.get_tags())
    if not wanted <= current:
        async with get_client() as client:
            await client.update_flow_run(UUID(run_id), tags=sorted(current | wanted))
