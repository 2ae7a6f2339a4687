"""After she is confirmed: her run stays with her until the interview, holding no process.

``plan-reminders`` decides once for each time she holds when she is reminded
(``flows.planning.reminders``); her run waits for each reminder's time (``Wait.day``) and sends
it: the day before an email and, with her consent, a text; on the morning a text (with her
consent, inside her waking hours) else an email; each once per key, and never after she
cancelled. Meanwhile her page offers to move or cancel (until ``changes.cutoff`` before the
interview, ``changes.max_moves`` times); her request resumes the wait. Moving is picking
another time (``flows/rebooking.py``) and confirming it; if no time suits her, hers stands and
the recruiter is told. Cancelling releases everything (``flows/settle.py``). After the interview
the panel reports (``flows/the_day.py``) and her run ends. Events:
``secondround.candidate.emailed`` and ``.texted`` (``kind`` ``reminder-day-before``,
``reminder-morning``), ``.picked``, ``.confirmed``, ``.released``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from prefect import task

from config.settings import get_settings
from flows.logistics import Booking
from flows.messages.context import context
from flows.messages.render import render, render_email
from flows.models import (
    CallbackRequest,
    CallbackResult,
    Decision,
    Outcome,
    ReminderPlan,
    Reply,
    Slot,
    Wait,
)
from flows.planning.reminders import PlannedReminder, plan_reminders
from flows.rebooking import let_her_pick
from flows.settle import alert_recruiter, settle
from flows.the_day import the_day
from flows.timeline import Timeline
from flows.waits import wait
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done
from tasks.mail import send_email
from tasks.phone import send_sms


async def follow_through(
    request: CallbackRequest, booking: Booking, result: CallbackResult, timeline: Timeline, *, run_id: str, moves: int
) -> CallbackResult:
    """From "confirmed" to the day: reminders, and her moves or her cancelling, then the end."""
    while result.outcome is Outcome.confirmed and request.round.changes.follow_through:
        change = await until_the_day(request, booking, timeline, run_id=run_id, move=moves)
        if change is None:  # the interview is over: the panel reports, and her story ends
            result = await the_day(request, booking, result, timeline, run_id=run_id, move=moves)
            break
        if change.decision is Decision.decline:
            return await settle(
                request, booking, change, timeline, outcome=Outcome.cancelled, attempts=result.attempts, move=moves
            )
        moved, reply, done_moves = await let_her_pick(
            request, booking, change, timeline, run_id=run_id, moves=moves, confirmed=True
        )
        if done_moves == moves:  # no other time suits her: hers stands
            timeline.add(*await _kept(request, booking, change, move=moves + 1))
            moves += 1
            continue
        booking, moves = moved, done_moves
        result = await settle(
            request, booking, reply, timeline, outcome=Outcome.confirmed, attempts=result.attempts, move=moves
        )
    return result.model_copy(update={"timeline": sorted(timeline.lines, key=lambda x: x.at)})


@task(name="plan-reminders", cache_policy=BY_BUSINESS_KEY)
async def plan_her_reminders(key: EffectKey, *, request: CallbackRequest, slot: Slot) -> ReminderPlan:
    """Decide once, for the time she holds, when she is reminded (replays keep the plan)."""
    settings = get_settings()
    now = datetime.now(timezone.utc)
    planned = plan_reminders(
        request.round, request.candidate, slot, now=now, earliest=settings.contact_from, latest=settings.contact_until
    )
    said = ", ".join(f"{p.kind} at {p.at:%d %b %H:%M}Z by {'text' if p.text else 'email'}" for p in planned)
    return ReminderPlan(
        **done(key, f"reminders: {said or 'none left before the interview'}").model_dump(), reminders=planned
    )


async def until_the_day(
    request: CallbackRequest, booking: Booking, timeline: Timeline, *, run_id: str, move: int
) -> Reply | None:
    """Wait for each reminder's time and send it, then for the interview's planned end; her asking
    to move or cancel ends the wait early (returned). None once the interview is over."""
    assert booking.slot is not None
    plan = await plan_her_reminders(request.key("plan-reminders", attempt=move), request=request, slot=booking.slot)
    timeline.add(plan)
    for ring, planned in enumerate(plan.reminders, start=1):
        change = await wait(
            request, move, timeline, run_id=run_id, until=planned.at, what=Wait.day, ring=ring, since=plan.at
        )
        if change.decision is not Decision.no_reply:
            return change
        timeline.add(*await _remind(request, booking.slot, planned, move=move))
    # past the cut-off her page offers no change, but the recruiter may still record one for her
    change = await wait(
        request, move, timeline, run_id=run_id, until=booking.slot.end, what=Wait.interview, since=plan.at
    )
    return change if change.decision is not Decision.no_reply else None


async def _remind(request: CallbackRequest, slot: Slot, planned: PlannedReminder, *, move: int) -> list[Done]:
    """One reminder: the essentials on both clocks, where, what to bring and wear, whom to ask for,
    and the link to move or cancel."""
    candidate = request.candidate
    ctx = dataclasses.replace(context(request.round, candidate, slot, attempt=1), morning=planned.kind == "morning")
    step = f"reminder-{planned.kind}"
    lines: list[Done] = []
    if planned.email:
        message = render_email("reminder", ctx, to=candidate.email, to_name=candidate.name)
        lines.append(await send_email(request.key(step, attempt=move), message))
    if planned.text:
        body = render("reminder_sms", ctx)
        lines.append(await send_sms(request.key(f"{step}-sms", attempt=move), to=candidate.phone, body=body))
    return lines


async def _kept(request: CallbackRequest, booking: Booking, change: Reply, *, move: int) -> list[Done]:
    """She asked to move and no other time suited her: her time stands; she and the recruiter hear so."""
    assert booking.slot is not None
    candidate = request.candidate
    ctx = context(request.round, candidate, booking.slot)
    kept = await send_email(
        request.key("move-kept", attempt=move),
        render_email("move_kept", ctx, to=candidate.email, to_name=candidate.name),
    )
    wish = change.preferred_time or "not given"
    who = f"{candidate.name} ({candidate.email}, {candidate.phone})"
    detail = f"{who} asked to move; no other time suited her, so {ctx.staff_when} stands. Times that suit her: {wish}."
    alert = await alert_recruiter(
        request, request.key("alert-move", attempt=move), "asked to move: please call her", detail
    )
    return [kept, alert]
