"""The calendar invite for the interview (iCalendar, RFC 5545 and iTIP's REQUEST / CANCEL).

Pure: no I/O, the stamp is passed in. The UID is stable per round and candidate, so the
confirmation's REQUEST and a later CANCEL update the same event in her calendar. Times carry
the interview's zone (the venue's; the organiser's for a video call) with a full VTIMEZONE, so
the event lands right in any calendar across a change of daylight time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from config.round import Candidate, InterviewFormat, RoundDetails
from flows.messages import clock
from flows.models import Slot


def invite_uid(round_id: str, candidate_id: str, domain: str) -> str:
    return f"{round_id}.{candidate_id}.interview@{domain}"


def _address(name: str, email: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name.replace('"', "'"))  # no double quotes inside a parameter value
    address.params.update({k: vText(v) for k, v in params.items()})
    return address


def _description(round_: RoundDetails, candidate: Candidate, slot: Slot) -> str:
    plan = round_.plan
    lines = [f"When: {clock.written(slot.start, *clock.clocks_for(round_, candidate))}"]
    lines += [plan.what_to_expect] if plan.what_to_expect else []
    lines += [f"- {a.name} ({int(a.duration.total_seconds() // 60)} min)" for a in plan.activities]
    people = ", ".join(
        f"{m.name} ({m.role})" if m.role else m.name for m in (round_.staff_member(p) for p in plan.panel)
    )
    lines.append(f"You will meet: {people}")
    if plan.attire:
        lines.append(f"What to wear: {plan.attire}")
    if plan.bring:
        lines.append("What to bring: " + ", ".join(plan.bring))
    if plan.location is not None and plan.location.directions:
        lines.append(f"Getting there: {plan.location.directions}")
    return "\n".join(lines)


def _location(round_: RoundDetails) -> str:
    plan = round_.plan
    if plan.format is InterviewFormat.video or plan.location is None:
        return plan.meeting_link or "Video call"
    return f"{plan.location.name}, {plan.location.address}"


def interview_invite(
    round_: RoundDetails,
    candidate: Candidate,
    slot: Slot,
    *,
    method: Literal["REQUEST", "CANCEL"],
    stamp: datetime,
    domain: str,
    sequence: int | None = None,
) -> str:
    """The invite; ``sequence`` (default 0 for a request, 1 for a cancel) grows with each change,
    so that her calendar takes a new time or a cancel over what it holds."""
    zone = ZoneInfo(round_.venue_zone)  # absolute instants, on the interview's own clock
    cal = Calendar()
    cal.add("prodid", "-//secondround//Second interview//EN")
    cal.add("version", "2.0")
    cal.add("method", method)  # must match the MIME part's method parameter
    event = Event()
    event.add("uid", invite_uid(round_.id, candidate.id, domain))
    event.add("dtstamp", stamp)
    event.add("dtstart", slot.start.astimezone(zone))
    event.add("dtend", slot.end.astimezone(zone))
    event.add("summary", f"{round_.plan.title}, {round_.organisation.name}")
    event.add("location", _location(round_))
    event.add("description", _description(round_, candidate, slot))
    event.add("sequence", sequence if sequence is not None else (0 if method == "REQUEST" else 1))
    event.add("status", "CONFIRMED" if method == "REQUEST" else "CANCELLED")
    recruiter = round_.organisation.recruiter
    event.add("organizer", _address(recruiter.name, recruiter.email))
    # she has said yes before the invite goes out; a cancel comes from our side
    partstat = "ACCEPTED" if method == "REQUEST" else "DECLINED"
    event.add("attendee", _address(candidate.name, candidate.email, role="REQ-PARTICIPANT", partstat=partstat))
    cal.add_component(event)
    cal.add_missing_timezones()
    ics: bytes = cal.to_ical()
    return ics.decode()
