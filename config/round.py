"""The hiring-round file: candidates, the interview plan, staff, rooms, catering and cadence.

A round file is YAML written by a hiring coordinator. This module is its schema; field-level
checks live here, cross-references (duplicate ids, unknown staff or rooms) in ``config.loading``.
Free times may be written as local times: they are read in the candidate's own time zone and
kept as aware UTC datetimes inside.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$"
_EMAIL = re.compile(r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value


def _check_phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if not value.startswith("+") or parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{value!r} is not a valid E.164 number (write it as +<country><number>)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _one_line(value: str) -> str:
    if any(ch in value for ch in "\r\n\t\v\f\x00") or not value.isprintable():
        raise ValueError(f"{value!r} must be one line of printable text (it goes into email headers and invites)")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not a valid email address")
    return value


def _check_cron(value: str) -> str:
    from prefect.client.schemas.schedules import CronSchedule  # Prefect's own reading of a cron line

    try:
        CronSchedule(cron=value)
    except ValueError:
        example = "five fields, e.g. '0 9 * * 1-5' for weekdays at 09:00"
        raise ValueError(f"{value!r} is not a cron line ({example})") from None
    return value


Slug = Annotated[str, Field(pattern=_SLUG, description="Lowercase letters, digits and dashes")]
TimeZoneName = Annotated[str, AfterValidator(_check_zone)]
Phone = Annotated[str, AfterValidator(_check_phone)]
Email = Annotated[str, AfterValidator(_check_email)]
Line = Annotated[str, Field(min_length=1), AfterValidator(_one_line)]
Cron = Annotated[str, AfterValidator(_check_cron)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(_Model):
    """A span of time; naive values are read in the owner's time zone."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start {self.start.isoformat()}")
        return self

    def localized(self, zone: ZoneInfo) -> Interval:
        """The same interval as aware UTC, reading naive values in ``zone``."""
        return Interval(start=_to_utc(self.start, zone), end=_to_utc(self.end, zone))


def _to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    aware = value.replace(tzinfo=zone)
    # zoneinfo silently accepts wall times that the clocks skip; a round trip exposes them.
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != value:
        raise ValueError(f"{value.isoformat()} does not exist in {zone.key} (clocks change that day)")
    return aware.astimezone(timezone.utc)


class Person(_Model):
    name: Line = Field(description="Full name")
    email: Email
    phone: Phone | None = Field(default=None, description="E.164, e.g. +441632960123")


class StaffMember(Person):
    id: Slug
    role: str = Field(default="", description="Their part in the day, e.g. 'runs the exam'")
    calendar: str = Field(default="", description="CalDAV calendar URL")


class Room(_Model):
    id: Slug
    name: Line
    capacity: int = Field(ge=1)
    calendar: str = Field(default="", description="CalDAV calendar URL")


class Activity(_Model):
    name: Line = Field(description="e.g. Written exam, Tour, Shadowing")
    duration: timedelta = Field(description="ISO 8601, e.g. PT1H")
    description: str = ""


class Location(_Model):
    name: Line
    address: str = Field(min_length=1)
    directions: str = ""


class DateRange(_Model):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class InterviewPlan(_Model):
    title: Line
    dates: DateRange
    duration: timedelta = Field(description="How long the day lasts, e.g. PT6H")
    location: Location
    what_to_expect: str = ""
    activities: list[Activity] = Field(default_factory=list)
    panel: list[Slug] = Field(min_length=1, description="Ids of the staff she will meet")
    attire: str = ""
    bring: list[str] = Field(default_factory=list)
    buffer: timedelta = Field(default=timedelta(minutes=30), description="Gap kept free around each interview")
    room_capacity: int = Field(default=1, ge=1, description="People in the room, candidate included")
    max_per_person_per_day: int = Field(default=3, ge=1, description="Interviews one staff member does in a day")


class Catering(_Model):
    contact: Person
    notes: str = ""


class Consent(_Model):
    automated_voice: bool = Field(default=False, description="May we leave a recorded voicemail?")
    sms: bool = Field(default=False, description="May we text her?")


class Candidate(_Model):
    id: Slug
    name: Line
    phone: Phone
    email: Email
    time_zone: TimeZoneName
    call_times: list[Interval] = Field(min_length=1, description="When she can take a call")
    interview_times: list[Interval] = Field(min_length=1, description="When she can come in")
    consent: Consent = Field(default_factory=Consent)
    waitlist_rank: int | None = Field(default=None, ge=1, description="Set for waitlisted candidates")
    dietary: str = ""

    @model_validator(mode="after")
    def _localize(self) -> Candidate:
        zone = ZoneInfo(self.time_zone)
        object.__setattr__(self, "call_times", [i.localized(zone) for i in self.call_times])
        object.__setattr__(self, "interview_times", [i.localized(zone) for i in self.interview_times])
        return self


class Cadence(_Model):
    reply_window: timedelta = Field(default=timedelta(hours=24), description="Wait this long for a reply")
    attempts: int = Field(default=2, ge=1, le=5, description="Contact attempts before release")


class Organisation(_Model):
    name: Line
    recruiter: Person


class RoundDetails(_Model):
    """Everything about a round except its candidates: what each candidate run carries."""

    id: Slug
    name: Line
    time_zone: TimeZoneName
    organisation: Organisation
    plan: InterviewPlan
    staff: list[StaffMember] = Field(min_length=1)
    rooms: list[Room] = Field(min_length=1)
    catering: Catering | None = None
    cadence: Cadence = Field(default_factory=Cadence)

    def staff_member(self, staff_id: str) -> StaffMember:
        return next(s for s in self.staff if s.id == staff_id)


class RoundSchedule(_Model):
    cron: Cron = Field(description="When hiring-round runs, in the round's time zone (picks up new candidates)")
    active: bool = Field(default=True, description="False deploys the schedule paused")


class HiringRound(RoundDetails):
    """A whole round file."""

    candidates: list[Candidate] = Field(min_length=1)
    schedule: RoundSchedule | None = Field(default=None, description="For `secondround round deploy`")

    @property
    def details(self) -> RoundDetails:
        return RoundDetails.model_validate(self.model_dump(exclude={"candidates", "schedule"}))

    def candidate(self, candidate_id: str) -> Candidate:
        return next(c for c in self.candidates if c.id == candidate_id)
