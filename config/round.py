"""The hiring-round file: candidates, the interview plan, staff, rooms, catering and cadence.

A round file is YAML written by a hiring coordinator. This module is its schema; field-level
checks live here, cross-references (duplicate ids, unknown staff or rooms) in ``config.loading``.
Free times may be written as local times: they are read in the candidate's own time zone and
kept as aware UTC datetimes inside.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from config.calendar_refs import Backend, CalendarRef, split_ref
from config.calling import Calling, CallMode, Recruiter
from config.changes import Changes, Reminders
from config.fields import WEEKDAYS, Cron, Email, Interval, Line, Person, Phone, Slug, Strict, TimeZoneName, Weekday


class StaffMember(Person):
    id: Slug
    role: str = Field(default="", description="Their part in the day, e.g. 'runs the exam'")
    calendar: CalendarRef = Field(default="", description="CalDAV URL (default: under the base URL)")


class Room(Strict):
    id: Slug
    name: Line
    capacity: int = Field(ge=1)
    calendar: CalendarRef = Field(default="", description="CalDAV URL (default: under the base URL)")


class Activity(Strict):
    name: Line = Field(description="e.g. Written exam, Tour, Shadowing")
    duration: timedelta = Field(description="ISO 8601, e.g. PT1H")
    description: str = ""


class Location(Strict):
    name: Line
    address: str = Field(min_length=1)
    directions: str = ""
    time_zone: TimeZoneName | None = Field(default=None, description="The venue's clock; the round's when left out")


class InterviewFormat(StrEnum):
    on_site = "on_site"
    video = "video"


class OfficeHours(Strict):
    """When interviews may take place, on the venue's clock: from the start to the end of the day."""

    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1)
    start: time = Field(default=time(9), description="Earliest start, e.g. 09:00")
    end: time = Field(default=time(17, 30), description="Latest end of the last activity, e.g. 17:30")
    closed: list[date] = Field(default_factory=list, description="Dates the office is closed")

    @model_validator(mode="after")
    def _ordered(self) -> OfficeHours:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}")
        return self

    def open_on(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.days and day not in self.closed


class DateRange(Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class InterviewPlan(Strict):
    title: Line
    dates: DateRange
    duration: timedelta = Field(description="How long the day lasts, e.g. PT6H")
    format: InterviewFormat = Field(default=InterviewFormat.on_site, description="on_site (a location) or video")
    location: Location | None = Field(default=None, description="Where she comes, for an on-site interview")
    meeting_link: str = Field(default="", description="For a video interview; made by the calendar when left out")
    hours: OfficeHours = Field(default_factory=OfficeHours, description="When interviews may take place")
    what_to_expect: str = ""
    activities: list[Activity] = Field(default_factory=list)
    panel: list[Slug] = Field(min_length=1, description="Ids of the staff she will meet")
    attire: str = ""
    bring: list[str] = Field(default_factory=list)
    buffer: timedelta = Field(default=timedelta(minutes=30), description="Gap kept free around each interview")
    room_capacity: int = Field(default=1, ge=1, description="People in the room, candidate included")
    max_per_person_per_day: int = Field(default=3, ge=1, description="Interviews one staff member does in a day")

    @model_validator(mode="after")
    def _fits(self) -> InterviewPlan:
        if self.format is InterviewFormat.on_site and self.location is None:
            raise ValueError("an on_site interview needs a location (or set format: video)")
        activities = sum((a.duration for a in self.activities), timedelta())
        if activities > self.duration:
            raise ValueError(f"the activities last {activities}, longer than the day's duration {self.duration}")
        return self


class CateringWhen(StrEnum):
    on_confirm = "on_confirm"  # the order goes out when she confirms: a decline costs facilities nothing
    before_call = "before_call"  # a provisional notice once the slot is held, the order when she confirms


class Catering(Strict):
    contact: Person
    notes: str = ""
    meal: str = Field(default="", description="The activity at which food is served (default: the one named lunch)")
    when: CateringWhen = Field(default=CateringWhen.on_confirm, description="on_confirm or before_call")


class Consent(Strict):
    automated_voice: bool = Field(default=False, description="May we leave a recorded voicemail?")
    sms: bool = Field(default=False, description="May we text her?")


class Candidate(Strict):
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
    notes: str = Field(default="", max_length=500, description="A line from the first interview, for the call guide")
    call_mode: CallMode | None = Field(default=None, description="recruiter or automated; the round's when left out")

    @model_validator(mode="after")
    def _localize(self) -> Candidate:
        zone = ZoneInfo(self.time_zone)
        object.__setattr__(self, "call_times", [i.localized(zone) for i in self.call_times])
        object.__setattr__(self, "interview_times", [i.localized(zone) for i in self.interview_times])
        return self


class Cadence(Strict):
    reply_window: timedelta = Field(default=timedelta(hours=24), description="Wait this long for a reply")
    attempts: int = Field(default=2, ge=1, le=5, description="Contact attempts before release")


class Organisation(Strict):
    name: Line
    recruiter: Recruiter


class RoundDetails(Strict):
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
    calling: Calling = Field(default_factory=Calling, description="Who calls: the recruiter live, or automated")
    changes: Changes = Field(default_factory=Changes, description="Picking another time herself, and its limits")
    reminders: Reminders = Field(default_factory=Reminders, description="When a confirmed candidate is reminded")

    def call_mode(self, candidate: Candidate) -> CallMode:
        return candidate.call_mode or self.calling.mode

    def staff_member(self, staff_id: str) -> StaffMember:
        return next(s for s in self.staff if s.id == staff_id)

    def meal_start(self, start: datetime) -> datetime:
        """When the caterer serves on a day starting at ``start``: the start of the meal activity
        (``catering.meal``, else the first activity named like lunch), else the start of the day."""
        wanted = self.catering.meal.lower() if self.catering and self.catering.meal else ""
        at = start
        for activity in self.plan.activities:
            if activity.name.lower() == wanted or (not wanted and "lunch" in activity.name.lower()):
                return at
            at += activity.duration
        return start

    @model_validator(mode="after")
    def _meal_is_an_activity(self) -> RoundDetails:
        meal = self.catering.meal if self.catering else ""
        if meal and meal.lower() not in {a.name.lower() for a in self.plan.activities}:
            raise ValueError(f"catering.meal {meal!r} is not one of the plan's activities")
        return self

    @model_validator(mode="after")
    def _video_has_a_meeting(self) -> RoundDetails:
        """A video interview's link: the round file's, or one the lead interviewer's calendar makes
        (Google Meet, Microsoft Teams); a CalDAV calendar makes none."""
        plan = self.plan
        lead = next((s for s in self.staff if s.id == plan.panel[0]), None)
        makes_none = lead is not None and split_ref(lead.calendar or "")[0] is Backend.caldav
        if plan.format is InterviewFormat.video and not plan.meeting_link and makes_none:
            raise ValueError(
                f"plan.meeting_link is needed for a video interview: the first of the panel ({plan.panel[0]}) "
                "is on a CalDAV calendar, which makes no meeting (Google and Microsoft calendars do)"
            )
        return self

    @property
    def venue_zone(self) -> str:
        """The interview's own clock: the venue's for an on-site interview, else the round's."""
        location = self.plan.location
        on_site = self.plan.format is InterviewFormat.on_site
        return location.time_zone if on_site and location is not None and location.time_zone else self.time_zone


class RoundSchedule(Strict):
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

    @model_validator(mode="after")
    def _recruiter_reachable(self) -> HiringRound:
        live = [c.id for c in self.candidates if self.call_mode(c) is CallMode.recruiter]
        if live and self.organisation.recruiter.phone is None:
            who = ", ".join(live[:3]) + (" ..." if len(live) > 3 else "")
            raise ValueError(
                f"organisation.recruiter.phone is needed: {who} are called in recruiter mode "
                "(the recruiter's phone rings first); or set calling.mode: automated"
            )
        return self
