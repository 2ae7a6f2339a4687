"""What a message may say about her interview: one typed context for every template.

Times are shown in the reader's zone: the candidate's for her (``when``, ``schedule``), the
round's for staff (``staff_when``, ``staff_schedule``). A template or a caller that reads a name
the context lacks fails the type check (callers) or ``tests/test_messages.py`` (templates).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from config.links import LinkClaim, make_token
from config.round import Candidate, RoundDetails, StaffMember
from config.settings import get_settings
from flows.models import Slot


@dataclass(frozen=True)
class ScheduleRow:
    """One activity of the day, its start on the reader's clock."""

    at: str
    name: str
    minutes: int
    description: str


@dataclass(frozen=True)
class MessageContext:
    """Everything her messages, her page and the staff's messages draw on."""

    name: str
    first_name: str
    organisation: str
    recruiter: str
    recruiter_phone: str
    recruiter_email: str
    title: str
    attempt: int
    final: bool
    zone: str
    when: str
    day: str
    staff_when: str
    round_zone: str
    duration: str
    place: str
    address: str
    directions: str
    what_to_expect: str
    attire: str
    bring: list[str]
    room: str
    schedule: list[ScheduleRow]
    staff_schedule: list[ScheduleRow]
    panel: list[StaffMember]
    window: str
    confirm_link: str
    decline_link: str
    ask_link: str
    cancels: bool = False  # a release that withdraws an invite already in her calendar
    reason: str = ""  # why a release happens, in words
    member_name: str = ""  # a panel member's briefing or stand-down
    role: str = ""
    contact_name: str = ""  # the caterer's order
    notes: str = ""
    headcount: int = 0
    dietary: str = ""

    def values(self) -> dict[str, Any]:
        """The template's names, one level deep (rows and staff stay objects)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class AlertContext:
    """A note to the recruiter about one candidate: a refusal, a decline, a stuck run."""

    name: str
    headline: str
    detail: str
    organisation: str
    recruiter: str
    recruiter_email: str = ""  # an alert goes to the recruiter: no reply-to

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def span(value: timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p) or "0 min"


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%A %d %B %Y at %H:%M")


def _schedule(round_: RoundDetails, start: datetime, zone: str) -> list[ScheduleRow]:
    """The day's activities with their start times in the reader's zone."""
    rows, at = [], start
    for activity in round_.plan.activities:
        local = at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
        rows.append(
            ScheduleRow(local, activity.name, int(activity.duration.total_seconds() // 60), activity.description)
        )
        at += activity.duration
    return rows


def _links(round_: RoundDetails, candidate: Candidate, slot: Slot, attempt: int) -> tuple[str, str, str]:
    """Her confirm, decline and another-time links, signed for this attempt."""
    settings = get_settings()
    key = settings.link_signing_key.get_secret_value().encode()
    # links work until the interview starts; derived from the slot, not the clock, so a replay
    # renders the very same message (the SMS lookup after a crash compares bodies)
    base = settings.public_base_url.rstrip("/")

    def link(choice: str) -> str:
        return f"{base}/r/{make_token(key, LinkClaim(round_.id, candidate.id, attempt, choice, slot.start))}"

    return link("confirm"), link("decline"), link("another-time")


def context(
    round_: RoundDetails, candidate: Candidate, slot: Slot, *, attempt: int = 0, reason: str = "", cancels: bool = False
) -> MessageContext:
    plan, recruiter, zone = round_.plan, round_.organisation.recruiter, candidate.time_zone
    confirm, decline, ask = _links(round_, candidate, slot, attempt)
    return MessageContext(
        name=candidate.name,
        first_name=candidate.name.split()[0],
        organisation=round_.organisation.name,
        recruiter=recruiter.name,
        recruiter_phone=recruiter.phone or "",
        recruiter_email=recruiter.email,
        title=plan.title,
        attempt=attempt,
        final=attempt >= round_.cadence.attempts,
        zone=zone,
        when=_when(slot.start, zone),
        day=slot.start.astimezone(ZoneInfo(zone)).strftime("%d %B %Y"),
        staff_when=_when(slot.start, round_.time_zone),
        round_zone=round_.time_zone,
        duration=span(slot.end - slot.start),
        place=plan.location.name,
        address=plan.location.address,
        directions=plan.location.directions or "-",
        what_to_expect=plan.what_to_expect or "-",
        attire=plan.attire or "No dress code",
        bring=plan.bring or ["nothing in particular"],
        room=next(r for r in round_.rooms if r.id == slot.room_id).name,
        schedule=_schedule(round_, slot.start, zone),
        staff_schedule=_schedule(round_, slot.start, round_.time_zone),
        panel=[round_.staff_member(p) for p in plan.panel],
        window=span(round_.cadence.reply_window),
        reason=reason,
        cancels=cancels,
        confirm_link=confirm,
        decline_link=decline,
        ask_link=ask,
    )
