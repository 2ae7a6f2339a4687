"""When a confirmed candidate is reminded: pure, on her clock, no I/O.

The day before the interview at ``reminders.day_before`` (an email, and a text with her consent
when that is inside her waking hours), and on its morning at ``reminders.morning_of`` but at
least an hour before it starts (a text with her consent inside her waking hours, else an
email). A reminder whose time has passed, or that would come after the start, is left out.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from config.round import Candidate, RoundDetails
from flows.planning.model import Slot

LEAD = timedelta(hours=1)  # the morning's reminder comes at least this long before the start


class PlannedReminder(BaseModel):
    kind: str = Field(description="day-before or morning")
    at: datetime
    text: bool = Field(description="By SMS (with her consent, inside her waking hours)")
    email: bool = Field(default=True, description="By email (the morning's only when no text may go)")


def _waking(at: datetime, zone: ZoneInfo, *, earliest: time, latest: time) -> bool:
    local = at.astimezone(zone).time()
    return earliest <= local <= latest


def plan_reminders(
    round_: RoundDetails, candidate: Candidate, slot: Slot, *, now: datetime, earliest: time, latest: time
) -> list[PlannedReminder]:
    """The reminders still ahead of ``now`` for ``slot``, in order, in UTC."""
    zone, texts = ZoneInfo(candidate.time_zone), candidate.consent.sms
    day = slot.start.astimezone(zone).date()
    before = datetime.combine(day - timedelta(days=1), round_.reminders.day_before, zone)
    morning = min(datetime.combine(day, round_.reminders.morning_of, zone), slot.start - LEAD)
    planned = []
    for kind, at, by_text_only in (("day-before", before, False), ("morning", morning, True)):
        text = texts and _waking(at, zone, earliest=earliest, latest=latest)
        if now < at < slot.start:
            utc = at.astimezone(timezone.utc)
            planned.append(PlannedReminder(kind=kind, at=utc, text=text, email=not (by_text_only and text)))
    return planned
