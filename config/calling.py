"""How a round calls its candidates: the recruiter, live (the default), or an automated voice.

``calling`` in the round file; a candidate's own ``call_mode`` overrides the round's. In
recruiter mode the recruiter's phone rings first, inside the recruiter's working hours
(``organisation.recruiter.hours``) and outside the busy times on the recruiter's calendar; on
1 we dial her and bridge the two. A ring the recruiter misses is tried again after
``recruiter_retry`` inside her call times, up to ``recruiter_rings`` rings an attempt; then her
attempt goes ahead by email and SMS and the recruiter is told. The automated call needs her
consent to a recorded voice (``consent.automated_voice``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from config.calendar_refs import CalendarRef
from config.fields import WEEKDAYS, Interval, Person, Strict, TimeZoneName, Weekday


class CallMode(StrEnum):
    recruiter = "recruiter"  # the recruiter's phone rings first, then hers, bridged: a conversation
    automated = "automated"  # a synthesised invitation with a keypad menu (only with her consent)


class WorkingHours(Strict):
    """When the recruiter takes calls, on the recruiter's clock."""

    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    start: time = Field(default=time(9), description="First call, e.g. 09:00")
    end: time = Field(default=time(17, 30), description="Last call starts before, e.g. 17:30")
    time_zone: TimeZoneName | None = Field(default=None, description="The recruiter's clock; the round's when left out")

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}")
        return self

    def spans(self, start: datetime, end: datetime, *, zone_name: str) -> list[Interval]:
        """The working spans between ``start`` and ``end`` (aware), as aware UTC intervals."""
        zone = ZoneInfo(self.time_zone or zone_name)
        day, last = start.astimezone(zone).date() - timedelta(days=1), end.astimezone(zone).date()
        found = []
        while day <= last:
            if WEEKDAYS[day.weekday()] in self.days:
                opens, closes = datetime.combine(day, self.start, zone), datetime.combine(day, self.end, zone)
                if closes > start and opens < end:
                    found.append(Interval(start=max(opens, start), end=min(closes, end)).localized(zone))
            day += timedelta(days=1)
        return found


class Recruiter(Person):
    hours: WorkingHours = Field(default_factory=WorkingHours, description="When the recruiter takes calls")
    calendar: CalendarRef = Field(
        default="", description="CalDAV URL (default: recruiter/ under the base URL): calls avoid its busy times"
    )


class Calling(Strict):
    mode: CallMode = Field(default=CallMode.recruiter, description="recruiter (live, the default) or automated")
    record: bool = Field(default=False, description="Record recruiter calls (she is told at the start)")
    recruiter_rings: int = Field(default=2, ge=1, le=5, description="Rings the recruiter may miss in an attempt")
    recruiter_retry: timedelta = Field(
        default=timedelta(minutes=15), description="Wait after a missed ring before ringing again, e.g. PT15M"
    )
