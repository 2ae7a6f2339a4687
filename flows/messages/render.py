"""What we say: every call script, voicemail, SMS and email, rendered from ``config/templates``
with a typed context (``flows.messages.context``).

Emails have a plain-text part (``email/<kind>.txt``, its first line the subject) and an HTML
part (``email/<kind>.html``, autoescaped). Staff, caterer and recruiter emails are built by one
helper each, used by the runs and the dry run alike.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum

from config.links import LinkClaim, make_token
from config.round import Candidate, RoundDetails, StaffMember
from config.settings import get_settings
from flows.messages import clock
from flows.messages.context import PANEL, AlertContext, MessageContext, context, span
from flows.messages.templates import ENVIRONMENT
from flows.models import Slot
from tasks.mail import Email, Invite


def render(kind: str, ctx: MessageContext) -> str:
    """A call script, voicemail or SMS (``<kind>.txt``)."""
    return ENVIRONMENT.get_template(f"{kind}.txt").render(ctx.values()).strip()


def render_email(
    kind: str, ctx: MessageContext | AlertContext, *, to: str, to_name: str, invite: Invite | None = None
) -> Email:
    """Both parts of an email; the subject is the text template's first line."""
    values = ctx.values()
    first, _, text = ENVIRONMENT.get_template(f"email/{kind}.txt").render(values).strip().partition("\n")
    subject = " ".join(first.removeprefix("Subject: ").split())  # one line, whatever a name holds
    html = ENVIRONMENT.get_template(f"email/{kind}.html").render({**values, "subject": subject})
    return Email(
        to=to,
        to_name=to_name,
        subject=subject,
        text=text.strip() + "\n",
        html=html,
        from_name=f"{ctx.organisation} recruiting",
        reply_to=ctx.recruiter_email or None,
        invite=invite,
    )


def staff_email(kind: str, ctx: MessageContext, member: StaffMember) -> Email:
    """A panel member's briefing (``staff_briefing``) or stand-down (``staff_release``)."""
    theirs = dataclasses.replace(ctx, member_name=member.name, role=member.role or "on the panel")
    return render_email(kind, theirs, to=member.email, to_name=member.name)


def panel_report_email(
    round_: RoundDetails, candidate: Candidate, slot: Slot, member: StaffMember, *, move: int
) -> Email:
    """A panel member's request for the day's report: the form's link, open ``changes.report_within``
    after the interview's planned end (derived from the slot, so a replay renders the same message)."""
    settings = get_settings()
    key = settings.link_signing_key.get_secret_value().encode()
    claim = LinkClaim(round_.id, candidate.id, move, PANEL, slot.end + round_.changes.report_within)
    link = f"{settings.public_base_url.rstrip('/')}/panel/reports/{make_token(key, claim)}"
    ctx = dataclasses.replace(
        context(round_, candidate, slot), report_link=link, report_within=span(round_.changes.report_within)
    )
    return staff_email("panel_report", ctx, member)


class CateringMessage(StrEnum):
    """What the caterer hears, and when: a provisional notice once her slot is held (a round with
    ``catering.when: before_call``), the order when she confirms, a cancellation of either."""

    notice = "catering_notice"
    order = "catering_order"
    cancel = "catering_cancel"

    @property
    def step(self) -> str:
        return self.value.replace("_", "-")


def catering_email(round_: RoundDetails, candidate: Candidate, slot: Slot, *, kind: CateringMessage) -> Email | None:
    """The caterer's message about her day; None when the round orders no catering."""
    catering = round_.catering
    if catering is None:
        return None
    venue = round_.venue_zone
    ctx = dataclasses.replace(
        context(round_, candidate, slot),
        notes=catering.notes or "lunch",
        headcount=1 + len(round_.plan.panel),
        dietary=candidate.dietary,
        contact_name=catering.contact.name,
        meal_when=clock.written(round_.meal_start(slot.start), venue, venue),
    )
    return render_email(kind.value, ctx, to=catering.contact.email, to_name=catering.contact.name)


def recruiter_email(round_: RoundDetails, candidate: Candidate, headline: str, detail: str) -> Email:
    """Something about her needs a person: a refusal, a decline, a release, a stuck run."""
    recruiter = round_.organisation.recruiter
    ctx = AlertContext(
        name=candidate.name,
        headline=headline,
        detail=detail,
        organisation=round_.organisation.name,
        recruiter=recruiter.name,
    )
    return render_email("recruiter_alert", ctx, to=recruiter.email, to_name=recruiter.name)
