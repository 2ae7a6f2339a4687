"""What a message may say about her interview: one typed context for every template.

Times are shown on the clock the reader needs (``flows.messages.clock``): for her, the venue's
clock first with hers beside it when they differ (hers first for a video call); for staff and
the caterer, the venue's (``staff_when``, ``staff_schedule``). A template or a caller that reads a name
the context lacks fails the type check (callers) or ``tests/test_messages.py`` (templates).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from config.links import LinkClaim, make_token
from config.round import Candidate, InterviewFormat, RoundDetails, StaffMember
from config.settings import get_settings
from flows.messages import clock
from flows.models import Slot

RECRUITER = "recruiter"  # the claim of the recruiter's form link; her page refuses it
PANEL = "panel"  # the claim of the panel's report form link, after the interview


@dataclass(frozen=True)
class ScheduleRow:
    """One activity of the day, its start on the reader's clock (and on the other one, beside)."""

    at: str
    name: str
    minutes: int
    description: str
    beside: str = ""


class _Values:
    def values(self) -> dict[str, Any]:
        """The template's names, one level deep (rows and staff stay objects)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class MessageContext(_Values):
    """Everything her messages, her page and the staff's messages draw on."""

    name: str
    first_name: str
    organisation: str
    round_name: str
    recruiter: str
    recruiter_phone: str
    recruiter_email: str
    title: str
    attempt: int
    final: bool
    when: str  # written: the interview's clock first (hers for a video call), the other beside
    spoken_when: str  # the same for the ear: call script and voicemail
    day: str
    staff_when: str  # the venue's clock, for staff and the caterer
    duration: str
    duration_spoken: str
    video: bool
    place: str
    address: str
    directions: str
    meeting_link: str
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
    recruiter_link: str  # the recruiter's form for this call (never sent to her)
    callback_number: str  # where her call back reaches us, written and digit by digit
    callback_spoken: str
    cancels: bool = False  # a release that withdraws an invite already in her calendar
    reason: str = ""  # why a release happens, in words
    member_name: str = ""  # a panel member's briefing or stand-down
    role: str = ""
    contact_name: str = ""  # the caterer's order
    notes: str = ""
    headcount: int = 0
    dietary: str = ""
    meal_when: str = ""  # when the food is served, on the venue's clock
    her_questions: str = ""  # the panel's briefing: what she asked the recruiter, and the answers
    for_panel: str = ""  # what the recruiter says the panel should know (access needs, dietary)
    first_interview: str = ""  # the round file's line from her first interview, for the call guide
    recorded: bool = False  # the recruiter's live call is recorded (she is told at the start)
    morning: bool = False  # a reminder on the morning of the interview (else the day before)
    self_service: bool = False  # she may move or cancel from her page
    cutoff: str = ""  # until how long before the interview
    offered: tuple[str, ...] = ()  # the other times she may pick, on her clocks (she asked for another time)
    choose_within: str = ""  # how long they stay open
    report_link: str = ""  # a panel member's one-minute form after the interview (never sent to her)
    report_within: str = ""  # how long it stays open
    day_list: tuple[MessageContext, ...] = ()  # a panel member's list for the day: each candidate's context


@dataclass(frozen=True)
class AlertContext(_Values):
    """A note to the recruiter about one candidate: a refusal, a decline, a stuck run."""

    name: str
    headline: str
    detail: str
    organisation: str
    recruiter: str
    recruiter_email: str = ""  # an alert goes to the recruiter: no reply-to


def span(value: timedelta) -> str:
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if p) or "0 min"


def _schedule(round_: RoundDetails, start: datetime, first: str, other: str | None = None) -> list[ScheduleRow]:
    """The day's activities with their start times on the reader's clock (the other beside)."""
    rows, at = [], start
    for activity in round_.plan.activities:
        local = at.astimezone(ZoneInfo(first)).strftime("%H:%M")
        side = clock.beside(at, first, other) if other else ""
        minutes = int(activity.duration.total_seconds() // 60)
        rows.append(ScheduleRow(local, activity.name, minutes, activity.description, beside=side))
        at += activity.duration
    return rows


def _where(round_: RoundDetails) -> tuple[str, str, str]:
    """(place, address, directions) of an on-site interview, or of a video call."""
    plan, location = round_.plan, round_.plan.location
    if plan.format is InterviewFormat.video or location is None:
        return "a video call", plan.meeting_link or "the link is in your calendar invite", "-"
    return location.name, location.address, location.directions or "-"


class _Day(TypedDict):
    title: str
    duration: str
    duration_spoken: str
    what_to_expect: str
    attire: str
    bring: list[str]
    room: str
    panel: list[StaffMember]
    window: str
    self_service: bool
    cutoff: str


def _the_day(round_: RoundDetails, slot: Slot) -> _Day:
    """What the plan says about the day itself, the same for every reader (and whether she may
    still move or cancel it, until when)."""
    plan = round_.plan
    return _Day(
        title=plan.title,
        duration=span(slot.end - slot.start),
        duration_spoken=clock.spoken_span(slot.end - slot.start),
        what_to_expect=plan.what_to_expect or "-",
        attire=plan.attire or "No dress code",
        bring=plan.bring or ["nothing in particular"],
        room=next(r for r in round_.rooms if r.id == slot.room_id).name,
        panel=[round_.staff_member(p) for p in plan.panel],
        window=span(round_.cadence.reply_window),
        self_service=round_.changes.follow_through and round_.changes.max_moves > 0,
        cutoff=span(round_.changes.cutoff),
    )


def _links(round_: RoundDetails, candidate: Candidate, slot: Slot, attempt: int) -> tuple[str, str, str, str]:
    """Her confirm, decline and another-time links, and the recruiter's form, signed for this attempt."""
    settings = get_settings()
    key = settings.link_signing_key.get_secret_value().encode()
    # links work until the interview starts; derived from the slot, not the clock, so a replay
    # renders the very same message (the SMS lookup after a crash compares bodies)
    base = settings.public_base_url.rstrip("/")

    def link(choice: str, path: str = "r") -> str:
        return f"{base}/{path}/{make_token(key, LinkClaim(round_.id, candidate.id, attempt, choice, slot.start))}"

    return link("confirm"), link("decline"), link("another-time"), link(RECRUITER, "recruiter/calls")


class _Callback(TypedDict):
    callback_number: str
    callback_spoken: str


def _callback(recruiter_phone: str | None) -> _Callback:
    """Where her call back reaches us (our number, else the recruiter's), written and spoken."""
    number = get_settings().twilio_from_number or recruiter_phone or ""
    return {"callback_number": number, "callback_spoken": clock.spoken_number(number)}


def offered_times(ctx: MessageContext, round_: RoundDetails, candidate: Candidate, slots: list[Slot]) -> MessageContext:
    """Her context with the other times offered to her, each on her clocks."""
    first, other = clock.clocks_for(round_, candidate)
    offered = tuple(clock.written(slot.start, first, other) for slot in slots)
    return dataclasses.replace(ctx, offered=offered, choose_within=span(round_.changes.choose_window))


def context(
    round_: RoundDetails, candidate: Candidate, slot: Slot, *, attempt: int = 0, reason: str = "", cancels: bool = False
) -> MessageContext:
    plan, recruiter = round_.plan, round_.organisation.recruiter
    confirm, decline, ask, recruiter_form = _links(round_, candidate, slot, attempt)
    first, other = clock.clocks_for(round_, candidate)
    place, address, directions = _where(round_)
    return MessageContext(
        name=candidate.name,
        first_name=candidate.name.split()[0],
        organisation=round_.organisation.name,
        round_name=round_.name,
        recruiter=recruiter.name,
        recruiter_phone=recruiter.phone or "",
        recruiter_email=recruiter.email,
        attempt=attempt,
        final=attempt >= round_.cadence.attempts,
        when=clock.written(slot.start, first, other),
        spoken_when=clock.spoken(slot.start, first, other),
        day=slot.start.astimezone(ZoneInfo(first)).strftime("%d %B %Y"),
        staff_when=clock.written(slot.start, round_.venue_zone, round_.venue_zone),
        video=plan.format is InterviewFormat.video,
        place=place,
        address=address,
        directions=directions,
        meeting_link=plan.meeting_link,
        schedule=_schedule(round_, slot.start, first, other),
        staff_schedule=_schedule(round_, slot.start, round_.venue_zone),
        reason=reason,
        cancels=cancels,
        confirm_link=confirm,
        decline_link=decline,
        ask_link=ask,
        recruiter_link=recruiter_form,
        **_the_day(round_, slot),
        **_callback(recruiter.phone),
        first_interview=candidate.notes,
        recorded=round_.calling.record,
    )
