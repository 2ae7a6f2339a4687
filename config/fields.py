"""The round file's field types, each with its own check: ids, time zones, phone numbers,
emails, one-line texts and cron lines. A bad value is named with what to write instead. Also the
small parts several sections share: a person, a weekday, an interval of time.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Literal
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


class Strict(BaseModel):
    """A part of the round file: unknown keys are errors, and nothing changes once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Interval(Strict):
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
        return Interval(start=to_utc(self.start, zone), end=to_utc(self.end, zone))


def to_utc(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    aware = value.replace(tzinfo=zone)
    # zoneinfo silently accepts wall times that the clocks skip; a round trip exposes them.
    if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != value:
        raise ValueError(f"{value.isoformat()} does not exist in {zone.key} (clocks change that day)")
    return aware.astimezone(timezone.utc)


class Person(Strict):
    name: Line = Field(description="Full name")
    email: Email
    phone: Phone | None = Field(default=None, description="E.164, e.g. +441632960123")
