"""What we say: every call script, voicemail, SMS and email, rendered from ``config/templates``.

Times are shown in the reader's zone: the candidate's for her, the round's for staff.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from config.links import LinkClaim, make_token
from config.round import Candidate, RoundDetails
from config.settings import get_settings
from flows.models import Slot

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent.parent / "config" / "templates"),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
    autoescape=False,
)


def _span(value: timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p) or "0 min"


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y at %H:%M")


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

    room = next(r for r in round_.rooms if r.id == slot.room_id)
    return {
        "name": candidate.name,
        "first_name": candidate.name.split()[0],
        "organisation": round_.organisation.name,
        "recruiter": round_.organisation.recruiter.name,
        "attempt": attempt,
        "zone": candidate.time_zone,
        "when": _when(slot.start, candidate.time_zone),
        "day": slot.start.astimezone(ZoneInfo(candidate.time_zone)).strftime("%d %B %Y"),
        "staff_when": _when(slot.start, round_.time_zone),
        "round_zone": round_.time_zone,
        "duration": _span(slot.end - slot.start),
        "place": round_.plan.location.name,
        "address": round_.plan.location.address,
        "directions": round_.plan.location.directions or "-",
        "what_to_expect": round_.plan.what_to_expect or "-",
        "attire": round_.plan.attire or "No dress code",
        "bring": round_.plan.bring or ["nothing in particular"],
        "room": room.name,
        "activities": [
            {"name": a.name, "minutes": int(a.duration.total_seconds() // 60), "description": a.description}
            for a in round_.plan.activities
        ],
        "panel": [round_.staff_member(p) for p in round_.plan.panel],
        "window": _span(round_.cadence.reply_window),
        "confirm_link": link("confirm"),
        "decline_link": link("decline"),
        **extra,
    }


def render(kind: str, ctx: dict[str, Any]) -> str:
    return _ENV.get_template(f"{kind}.txt").render(ctx).strip()


def render_email(kind: str, ctx: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of an email template whose first line is ``Subject: ...``."""
    first, _, body = render(kind, ctx).partition("\n")
    return first.removeprefix("Subject: ").strip(), body.strip()
