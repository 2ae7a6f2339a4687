"""Times on the clock the reader needs: the interview's clock first, hers beside it when the two
differ, in writing ("Tuesday 08 December 2026 at 09:00 London time (04:00 in New York)") and
for the ear ("Tuesday the 8th of December 2026 at 9 a.m. London time, that is 4 a.m. in New
York"). Pure: zones are IANA names, moments aware; the wall clocks come from ``zoneinfo`` per
moment, so a daylight-saving change in only one of the two zones is shown as it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from config.round import Candidate, InterviewFormat, RoundDetails


def clocks_for(round_: RoundDetails, candidate: Candidate) -> tuple[str, str]:
    """(first, beside): the venue's clock first for an on-site interview, hers for a video call."""
    if round_.plan.format is InterviewFormat.video:
        return candidate.time_zone, round_.venue_zone
    return round_.venue_zone, candidate.time_zone


def place_name(zone: str) -> str:
    """The zone as a listener says it: ``America/New_York`` -> ``New York``."""
    return zone.rsplit("/", 1)[-1].replace("_", " ")


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def same_clock(moment: datetime, first: str, second: str) -> bool:
    """Whether both zones' wall clocks read the same at ``moment``."""
    return _local(moment, first).replace(tzinfo=None) == _local(moment, second).replace(tzinfo=None)


def beside(moment: datetime, primary: str, other: str) -> str:
    """The other clock, for the parentheses: ``04:00 in New York`` (with its date when that differs);
    empty when both clocks agree."""
    if same_clock(moment, primary, other):
        return ""
    here, there = _local(moment, primary), _local(moment, other)
    day = f"{there:%A %d %B}, " if there.date() != here.date() else ""
    return f"{day}{there:%H:%M} in {place_name(other)}"


def written(moment: datetime, primary: str, other: str) -> str:
    local = _local(moment, primary)
    side = beside(moment, primary, other)
    return f"{local:%A %d %B %Y} at {local:%H:%M} {place_name(primary)} time" + (f" ({side})" if side else "")


def short(moment: datetime, primary: str, other: str) -> str:
    """For tables: ``Tue 08 Dec 2026 09:00 London (04:00 in New York)``."""
    side = beside(moment, primary, other)
    return f"{_local(moment, primary):%a %d %b %Y %H:%M} {place_name(primary)}" + (f" ({side})" if side else "")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _spoken_time(local: datetime) -> str:
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    if local.hour == 12 and not local.minute:
        return "12 noon"
    return f"{hour}{minutes} {'a.m.' if local.hour < 12 else 'p.m.'}"


def spoken(moment: datetime, primary: str, other: str) -> str:
    """For a call script or a voicemail: the weekday, the day as an ordinal, the month and year in
    words, the time with a.m. or p.m., and the zone as a place; the other clock after it."""
    local = _local(moment, primary)
    said = f"{local:%A} the {_ordinal(local.day)} of {local:%B %Y} at {_spoken_time(local)} {place_name(primary)} time"
    if same_clock(moment, primary, other):
        return said
    there = _local(moment, other)
    day = f"on {there:%A} " if there.date() != local.date() else ""
    return f"{said}, that is {day}{_spoken_time(there)} in {place_name(other)}"


def spoken_span(value: timedelta) -> str:
    """``6 hours``, ``1 hour and 30 minutes``: a length of time for the ear."""
    hours, minutes = divmod(int(value.total_seconds()) // 60, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((hours, "hour"), (minutes, "minute")) if n]
    return " and ".join(parts) or "no time"


def spoken_number(e164: str) -> str:
    """A phone number for the ear, digit by digit in small groups: ``+1 5 0 0, 5 5 5, 0 0 0 6``."""
    digits = e164.lstrip("+")
    if not digits:
        return ""
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "plus " + ", ".join(" ".join(group) for group in groups)
