"""A dry run of a round (``secondround round dry-run``): every slot planned and every word we
would say rendered, with nothing sent and nothing booked.

Pure: the caller passes the calendars' busy times (or none). Each candidate's messages come from
the same templates and helpers the runs use, in the order a run would send them: per attempt the
call (the recruiter's call guide and whisper and, if recorded, what she hears first; or the
automated script), the voicemail (with her consent), the email and the SMS (with her consent); then
both endings, confirmed (confirmation with its invite, staff briefings, catering order) and
released (release notice, staff stand-downs, catering cancellation, the recruiter's alert).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel

from config.calling import CallMode
from config.round import Candidate, CateringWhen, HiringRound, RoundDetails
from config.settings import get_settings
from flows.messages.context import MessageContext, context
from flows.messages.invites import interview_invite
from flows.messages.render import CateringMessage, catering_email, recruiter_email, render, render_email, staff_email
from flows.models import Slot
from flows.planning.slots import Intervals, plan_round
from tasks.mail import Email, Invite

Channel = Literal["call", "voicemail", "sms", "email", "note"]  # a note: what is not sent, and why


class Rendered(BaseModel):
    step: str
    channel: Channel
    to: str
    subject: str = ""
    body: str
    html: str = ""
    invite: str = ""


class CandidatePreview(BaseModel):
    candidate_id: str
    name: str
    time_zone: str
    slot: Slot | None
    messages: list[Rendered]


def _email(step: str, message: Email) -> Rendered:
    return Rendered(
        step=step,
        channel="email",
        to=message.to,
        subject=message.subject,
        body=message.text,
        html=message.html,
        invite=message.invite.ics if message.invite else "",
    )


def _invite(round_: RoundDetails, candidate: Candidate, slot: Slot, method: Literal["REQUEST", "CANCEL"]) -> Invite:
    stamp = slot.start - timedelta(days=1)  # as the runs do: a fixed instant per slot
    ics = interview_invite(round_, candidate, slot, method=method, stamp=stamp, domain=get_settings().mail_domain)
    return Invite(ics=ics, method=method)


def _attempts(round_: RoundDetails, candidate: Candidate, slot: Slot) -> list[Rendered]:
    lines: list[Rendered] = []
    for attempt in range(1, round_.cadence.attempts + 1):
        ctx = context(round_, candidate, slot, attempt=attempt)
        lines += _call(round_, candidate, ctx, attempt)
        kind = "invitation" if attempt == 1 else "retry"
        lines.append(_email(f"{attempt}.email", render_email(kind, ctx, to=candidate.email, to_name=candidate.name)))
        if candidate.consent.sms:
            lines.append(Rendered(step=f"{attempt}.sms", channel="sms", to=candidate.phone, body=render("sms", ctx)))
    return lines


def _call(round_: RoundDetails, candidate: Candidate, ctx: MessageContext, attempt: int) -> list[Rendered]:
    """The call of one attempt: live through the recruiter, or automated with her consent."""
    step, phone, consent = f"{attempt}.call", candidate.phone, candidate.consent.automated_voice
    voicemail = [Rendered(step=f"{attempt}.voicemail", channel="voicemail", to=phone, body=render("voicemail", ctx))]
    if round_.call_mode(candidate) is CallMode.recruiter:
        recruiter = round_.organisation.recruiter
        guide = render_email("recruiter_guide", ctx, to=recruiter.email, to_name=recruiter.name)
        lines = [_email(f"{attempt}.call-guide", guide)]
        lines.append(
            Rendered(step=f"{attempt}.whisper", channel="call", to=recruiter.phone or "", body=render("whisper", ctx))
        )
        if round_.calling.record:
            lines.append(Rendered(step=step, channel="call", to=phone, body=render("recording_notice", ctx)))
        return lines + (voicemail if consent else [])
    if consent:
        return [Rendered(step=step, channel="call", to=phone, body=render("call_script", ctx)), *voicemail]
    why = "No automated call or voicemail: she has not agreed to a recorded voice; email and text instead."
    return [Rendered(step=f"{attempt}.no-call", channel="note", to=phone, body=why)]


def _endings(round_: RoundDetails, candidate: Candidate, slot: Slot) -> list[Rendered]:
    ctx = context(round_, candidate, slot)
    invite = _invite(round_, candidate, slot, "REQUEST")
    confirmation = render_email("confirmation", ctx, to=candidate.email, to_name=candidate.name, invite=invite)
    lines = [_email("confirmed.confirmation", confirmation)]
    panel = [round_.staff_member(p) for p in round_.plan.panel]
    lines += [_email(f"confirmed.briefing-{m.id}", staff_email("staff_briefing", ctx, m)) for m in panel]
    if order := catering_email(round_, candidate, slot, kind=CateringMessage.order):
        lines.append(_email("confirmed.catering-order", order))
    released = context(round_, candidate, slot, reason="no reply after every attempt", cancels=False)
    notice = render_email("release", released, to=candidate.email, to_name=candidate.name)
    lines.append(_email("released.release-notice", notice))
    lines += [_email(f"released.release-{m.id}", staff_email("staff_release", released, m)) for m in panel]
    early = round_.catering is not None and round_.catering.when is CateringWhen.before_call
    if early and (heads_up := catering_email(round_, candidate, slot, kind=CateringMessage.notice)):
        lines.append(_email("held.catering-notice", heads_up))
    if early and (cancel := catering_email(round_, candidate, slot, kind=CateringMessage.cancel)):
        lines.append(_email("released.catering-cancel", cancel))
    return lines


def preview_round(round_: HiringRound, busy: Mapping[str, Intervals]) -> list[CandidatePreview]:
    """Plan the shortlisted candidates' slots together and render what each run would send."""
    details = round_.details
    shortlisted = [c for c in round_.candidates if c.waitlist_rank is None]
    slots = plan_round(details, shortlisted, busy)
    previews = []
    for candidate in shortlisted:
        slot = slots.get(candidate.id)
        if slot is None:
            detail = f"{candidate.name} ({candidate.email}, {candidate.phone}): no slot fits her free times."
            alert = recruiter_email(details, candidate, "no slot available", detail)
            messages = [_email("released.recruiter-alert", alert)]
        else:
            messages = _attempts(details, candidate, slot) + _endings(details, candidate, slot)
        previews.append(
            CandidatePreview(
                candidate_id=candidate.id,
                name=candidate.name,
                time_zone=candidate.time_zone,
                slot=slot,
                messages=messages,
            )
        )
    return previews
