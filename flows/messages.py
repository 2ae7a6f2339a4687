"""What we say: every call script, voicemail, SMS and email, rendered from ``config/templates``.

Times are shown in the reader's zone: the candidate's for her, the round's for staff. Emails
have a plain-text part (``email/<kind>.txt``, its first line the subject) and an HTML part
(``email/<kind>.html``, autoescaped: a name is text, never markup).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from config.links import LinkClaim, make_token
from config.round import Candidate, RoundDetails, StaffMember
from config.settings import get_settings
from flows.models import Slot
from tasks.mail import Email, Invite

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "config" / "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
)

EMAIL_KINDS = (
    "invitation",
    "retry",
    "confirmation",
    "release",
    "staff_briefing",
    "staff_release",
    "recruiter_alert",
    "catering_order",
    "catering_cancel",
)


def _span(value: timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p) or "0 min"


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y at %H:%M")


def _schedule(round_: RoundDetails, start: datetime, zone: str) -> list[dict[str, Any]]:
    """The day's activities with their start times in the reader's zone."""
    rows, at = [], start
    for activity in round_.plan.activities:
        rows.append(
            {
                "at": at.astimezone(ZoneInfo(zone)).strftime("%H:%M"),
                "name": activity.name,
                "minutes": int(activity.duration.total_seconds() // 60),
                "description": activity.description,
            }
        )
        at += activity.duration
    return rows


def context(
    round_: RoundDetails, candidate: Candidate, slot: Slot, *, attempt: int = 0, **extra: Any
) -> dict[str, Any]:
    settings = get_settings()
    key = settings.link_signing_key.get_secret_value().encode()
    # links work until the interview starts; derived from the slot, not the clock, so a replay
    # renders the very same message (the SMS lookup after a crash compares bodies)
    expires = slot.start

    def link(choice: str) -> str:
        token = make_token(key, LinkClaim(round_.id, candidate.id, attempt, choice, expires))
        return f"{settings.public_base_url.rstrip('/')}/r/{token}"

    plan, recruiter = round_.plan, round_.organisation.recruiter
    room = next(r for r in round_.rooms if r.id == slot.room_id)
    return {
        "name": candidate.name,
        "first_name": candidate.name.split()[0],
        "organisation": round_.organisation.name,
        "recruiter": recruiter.name,
        "recruiter_phone": recruiter.phone or "",
        "recruiter_email": recruiter.email,
        "title": plan.title,
        "attempt": attempt,
        "final": attempt >= round_.cadence.attempts,
        "zone": candidate.time_zone,
        "when": _when(slot.start, candidate.time_zone),
        "day": slot.start.astimezone(ZoneInfo(candidate.time_zone)).strftime("%d %B %Y"),
        "staff_when": _when(slot.start, round_.time_zone),
        "round_zone": round_.time_zone,
        "duration": _span(slot.end - slot.start),
        "place": plan.location.name,
        "address": plan.location.address,
        "directions": plan.location.directions or "-",
        "what_to_expect": plan.what_to_expect or "-",
        "attire": plan.attire or "No dress code",
        "bring": plan.bring or ["nothing in particular"],
        "room": room.name,
        "schedule": _schedule(round_, slot.start, candidate.time_zone),
        "staff_schedule": _schedule(round_, slot.start, round_.time_zone),
        "panel": [round_.staff_member(p) for p in plan.panel],
        "window": _span(round_.cadence.reply_window),
        "confirm_link": link("confirm"),
        "decline_link": link("decline"),
        "ask_link": link("another-time"),
        "cancels": False,
        **extra,
    }


def render(kind: str, ctx: dict[str, Any]) -> str:
    return _ENV.get_template(f"{kind}.txt").render(ctx).strip()


def render_email(kind: str, ctx: dict[str, Any], *, to: str, to_name: str, invite: Invite | None = None) -> Email:
    """Both parts of an email; the subject is the text template's first line."""
    first, _, text = _ENV.get_template(f"email/{kind}.txt").render(ctx).strip().partition("\n")
    subject = " ".join(first.removeprefix("Subject: ").split())  # one line, whatever a name holds
    html = _ENV.get_template(f"email/{kind}.html").render({**ctx, "subject": subject})
    return Email(
        to=to,
        to_name=to_name,
        subject=subject,
        text=text.strip() + "\n",
        html=html,
        from_name=f"{ctx['organisation']} recruiting",
        reply_to=ctx.get("recruiter_email") or None,
        invite=invite,
    )


def staff_email(kind: str, ctx: dict[str, Any], member: StaffMember) -> Email:
    """A panel member's briefing (``staff_briefing``) or stand-down (``staff_release``)."""
    extra = {"member_name": member.name, "role": member.role or "on the panel"}
    return render_email(kind, {**ctx, **extra}, to=member.email, to_name=member.name)


def catering_email(round_: RoundDetails, candidate: Candidate, slot: Slot, *, cancel: bool) -> Email | None:
    """The caterer's order for her day, or its cancellation; None when the round orders none."""
    catering = round_.catering
    if catering is None:
        return None
    ctx = context(
        round_,
        candidate,
        slot,
        notes=catering.notes or "lunch",
        headcount=1 + len(round_.plan.panel),
        dietary=candidate.dietary,
        contact_name=catering.contact.name,
    )
    kind = "catering_cancel" if cancel else "catering_order"
    return render_email(kind, ctx, to=catering.contact.email, to_name=catering.contact.name)


def recruiter_email(round_: RoundDetails, candidate: Candidate, headline: str, detail: str) -> Email:
    """Something about her needs a person: a refusal, a decline, a release, a stuck run."""
    recruiter = round_.organisation.recruiter
    ctx = {
        "name": candidate.name,
        "headline": headline,
        "detail": detail,
        "organisation": round_.organisation.name,
        "recruiter": recruiter.name,
    }
    return render_email("recruiter_alert", ctx, to=recruiter.email, to_name=recruiter.name)
