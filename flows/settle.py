"""The decision: confirm (bookings, full details, staff briefed) or release (every hold freed,
everyone told). A video interview without a link of its own gets its meeting from the lead
interviewer's calendar first, so that every message carries the link. Events:
``secondround.candidate.confirmed`` or ``.released``; ``.meeting-made``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Literal

from prefect import task

from config.errors import ChannelError, ConfigError
from config.round import InterviewFormat, RoundDetails
from config.settings import get_settings
from flows.logistics import Booking, arrange_catering, release_holds
from flows.messages.context import context
from flows.messages.invites import interview_invite
from flows.messages.render import CateringMessage, recruiter_email, render_email, staff_email
from flows.models import CallbackRequest, CallbackResult, Outcome, Reply, Slot
from flows.planning.slots import panel_calendar
from flows.timeline import Timeline
from flows.waitlist import offer_to_waitlist
from tasks.calendars import HoldResult, calendar_refs, make_meeting_link, settle_hold
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done
from tasks.mail import Invite, Sent, send_email


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
    move: int = 0,
) -> CallbackResult:
    """Confirm or release; ``move``: how many times she picked another time herself (each
    confirmation of a new time is its own message, and its invite outranks the last)."""
    if outcome is Outcome.confirmed:
        timeline.add(*await _confirm(request, booking, reply, move=move))
    else:
        timeline.add(*await _release_after(request, booking, reply, timeline, outcome=outcome, move=move))
    # she cancels after "confirmed"; each time she moves to is confirmed anew (its own event)
    step = "outcome-cancelled" if outcome is Outcome.cancelled else _moved("outcome", move)
    line = await record_outcome(request.key(step), outcome=outcome, attempts=attempts)
    timeline.add(line)
    timeline.slot = booking.slot if outcome is Outcome.confirmed else None  # a released slot is no longer hers
    then = "the recruiter calls her back" if outcome is Outcome.rescheduling else "none"
    await timeline.publish(outcome.value, next_action=then, outcome=outcome.value)
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


async def _release_after(
    request: CallbackRequest, booking: Booking, reply: Reply | None, timeline: Timeline, *, outcome: Outcome, move: int
) -> list[Done]:
    """Release after what her timeline shows: an invite in her calendar is cancelled, a catering
    order withdrawn; the times she suggested go to the recruiter."""
    told = {line.step.split("-move")[0] for line in timeline.lines}
    wish = reply.preferred_time if reply is not None else ""
    ordered = "catering-order" in told
    return await _release(
        request, booking, outcome, cancels="confirmation" in told, wish=wish, ordered=ordered, move=move
    )


def _moved(step: str, move: int) -> str:
    """The step of a message about the time she moved to (``confirmation-move1``)."""
    return f"{step}-move{move}" if move else step


async def _confirm(request: CallbackRequest, booking: Booking, reply: Reply | None, *, move: int) -> list[Done]:
    assert booking.slot is not None
    round_, meeting = await _video_meeting(request, booking)
    candidate = request.candidate
    ctx = context(round_, candidate, booking.slot)
    told = dataclasses.replace(ctx, her_questions=reply.questions, for_panel=reply.for_panel) if reply else ctx
    invite = Invite(ics=_invite(request, booking.slot, "REQUEST", round_=round_, move=move), method="REQUEST")
    message = render_email("confirmation", ctx, to=candidate.email, to_name=candidate.name, invite=invite)
    sends = [
        send_email(request.key(_moved("confirmation", move)), message),
        arrange_catering(request, booking.slot, kind=CateringMessage.order, move=move),
    ]
    for staff_id in round_.plan.panel:
        message = staff_email("staff_briefing", told, round_.staff_member(staff_id))
        sends.append(send_email(request.key(_moved(f"briefing-{staff_id}", move)), message, to_candidate=False))
    settles = [_book(request, hold, booking.slot) for hold in booking.holds]
    lines = meeting + [line for line in await asyncio.gather(*settles, *sends) if line is not None]
    return lines + await _alert_refusals(request, lines)


async def _book(request: CallbackRequest, hold: HoldResult, slot: Slot) -> Done:
    """A hold turned into a booking with her name and contact; keyed by the hold, so booking the
    lead interviewer's first (for the meeting) and then with the others books it once."""
    candidate = request.candidate
    summary = f"{request.round.plan.title}: {candidate.name}"
    about = (
        f"{candidate.name} ({candidate.email}, {candidate.phone}); {context(request.round, candidate, slot).staff_when}"
    )
    key = request.key(f"book-{hold.step}")
    return await settle_hold(key, hold=hold, confirm=True, summary=summary, description=about)


async def _video_meeting(request: CallbackRequest, booking: Booking) -> tuple[RoundDetails, list[Done]]:
    """A video interview without a link of its own gets a meeting on the lead interviewer's
    booked event before anyone is told, so that every message and invite carries its link."""
    plan = request.round.plan
    lead_calendar = calendar_refs(request.round)[panel_calendar(plan.panel[0])]
    lead = next((h for h in booking.holds if h.calendar == lead_calendar), None)
    if plan.format is not InterviewFormat.video or plan.meeting_link or lead is None:
        return request.round, []
    assert booking.slot is not None
    booked = await _book(request, lead, booking.slot)
    try:
        made = await make_meeting_link(request.key("meeting-link"), hold=lead)
    except (ChannelError, ConfigError) as error:  # the calendar would not: a person sends her a link
        detail = f"No meeting link could be made on {lead.calendar}: {error}. Please send her one."
        alert = await alert_recruiter(request, request.key("alert-meeting"), "no meeting link", detail)
        return request.round, [booked, alert]
    with_link = plan.model_copy(update={"meeting_link": made.link})
    return request.round.model_copy(update={"plan": with_link}), [booked, made]


REASONS = {
    Outcome.declined: "declined",
    Outcome.rescheduling: "asked for another time",
    Outcome.released: "no reply after every attempt",
    Outcome.no_slot: "no slot fits her free times",
    Outcome.cancelled: "she cancelled",
}
HEADLINES = {
    Outcome.declined: "declined",
    Outcome.no_slot: "no slot available",
    Outcome.rescheduling: "asked for another time: please call her back",
    Outcome.cancelled: "cancelled her interview",
}


async def _release(
    request: CallbackRequest,
    booking: Booking,
    outcome: Outcome,
    *,
    cancels: bool,
    wish: str = "",
    ordered: bool = False,
    move: int = 0,
) -> list[Done]:
    candidate, reason = request.candidate, REASONS.get(outcome, outcome.value)
    lines: list[Done] = []
    if booking.slot is not None:
        lines += await _free_slot(request, booking, reason=reason, cancels=cancels, ordered=ordered, move=move)
    detail = f"{candidate.name} ({candidate.email}, {candidate.phone}): {reason}."
    if outcome is Outcome.rescheduling:
        detail += f" Times that suit her: {wish or 'not given'}."
    headline = HEADLINES.get(outcome, "released")
    alert = request.key(_moved("recruiter-alert", move))  # her second chance's is not her first run's
    lines.append(await alert_recruiter(request, alert, headline, detail))
    return lines + await _alert_refusals(request, lines)


async def _free_slot(
    request: CallbackRequest, booking: Booking, *, reason: str, cancels: bool, ordered: bool, move: int
) -> list[Done]:
    """Her slot freed: holds, waitlist, caterer, her notice (cancelling the invite) and the panel's."""
    assert booking.slot is not None
    round_, candidate = request.round, request.candidate
    ctx = context(round_, candidate, booking.slot, reason=reason, cancels=cancels)
    lines = await release_holds(request, booking.holds)
    if request.waitlist:
        lines.append(await offer_to_waitlist(request.key("waitlist"), request=request, slot=booking.slot))
    if booking.caterer_told or ordered:
        cancelled = await arrange_catering(request, booking.slot, kind=CateringMessage.cancel, move=move)
        lines += [cancelled] if cancelled else []
    invite = Invite(ics=_invite(request, booking.slot, "CANCEL", move=move), method="CANCEL") if cancels else None
    message = render_email("release", ctx, to=candidate.email, to_name=candidate.name, invite=invite)
    lines.append(await send_email(request.key("release-notice"), message))
    for staff_id in round_.plan.panel:
        message = staff_email("staff_release", ctx, round_.staff_member(staff_id))
        lines.append(await send_email(request.key(f"release-{staff_id}"), message, to_candidate=False))
    return lines


def _invite(
    request: CallbackRequest,
    slot: Slot,
    method: Literal["REQUEST", "CANCEL"],
    *,
    round_: RoundDetails | None = None,
    move: int = 0,
) -> str:
    stamp = slot.start - timedelta(days=1)  # any fixed instant will do; a replay renders the same bytes
    # one event in her calendar for the whole story: each new time outranks the last, a cancel the time it cancels
    sequence = 2 * move + (1 if method == "CANCEL" else 0)
    return interview_invite(
        round_ or request.round,
        request.candidate,
        slot,
        method=method,
        stamp=stamp,
        domain=get_settings().mail_domain,
        sequence=sequence,
    )


async def alert_recruiter(request: CallbackRequest, key: EffectKey, headline: str, detail: str) -> Sent:
    """Tell the recruiter something needs a person: a refusal, a decline, a release."""
    message = recruiter_email(request.round, request.candidate, headline, detail)
    return await send_email(key, message, to_candidate=False)


async def _alert_refusals(request: CallbackRequest, lines: list[Done]) -> list[Done]:
    """A refused address is a job for the recruiter: one alert per refused message."""
    recruiter = request.round.organisation.recruiter.email  # her own refusal has no one else to tell
    refused = [line for line in lines if isinstance(line, Sent) and line.refused and line.to != recruiter]
    return [
        await alert_recruiter(
            request,
            request.key(f"alert-{line.step}"),
            "email refused",
            f"Our {line.step} email to {line.to} was refused: {line.refused}",
        )
        for line in refused
    ]
