"""Round files for tests: the example round with its candidates swapped for test ones."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from flows.models import Outcome
from sandbox.demo import rebased

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "rounds" / "example.yaml"
# The example plan's first day (a Monday). Rounds on the live stack move the example by whole
# weeks so its interview days stay ahead of today: the suite keeps working as dates pass.
FIRST_DAY = date(2026, 12, 7)
WEEKS = max(0, -(-((date.today() + timedelta(days=3)) - FIRST_DAY).days // 7))
_NUMBERS = (f"+1{area}5550{n:03d}" for area, n in itertools.product((212, 415, 646, 202, 312), range(100, 200)))


def example_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


def next_phone() -> str:
    return next(_NUMBERS)


def call_times(*, days: int = 14) -> list[dict[str, str]]:
    """Free for calls from yesterday for ``days`` days, so the suite keeps working as dates pass."""
    start = date.today() - timedelta(days=1)
    return [{"start": f"{start}T00:00", "end": f"{start + timedelta(days=days)}T00:00"}]


# UTC offsets from -8 to +9: a 09:00-18:00 interview day there stays on the same date in London
_ZONES = ("America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London", "Asia/Dubai", "Asia/Tokyo")


def awake_zone(now: datetime | None = None) -> str:
    """A time zone where it is daytime now, so test calls go out at once whatever time the suite
    runs (waiting for her hours is tested on purpose, elsewhere)."""
    now = now or datetime.now(timezone.utc)
    return min(_ZONES, key=lambda zone: abs(now.astimezone(ZoneInfo(zone)).hour + 0.5 - 13))


_WORLD = (
    *("Pacific/Honolulu", "America/Los_Angeles", "America/Chicago", "America/Sao_Paulo", "Atlantic/Azores"),
    *("Europe/Berlin", "Asia/Dubai", "Asia/Dhaka", "Asia/Shanghai", "Australia/Brisbane", "Pacific/Noumea"),
)


def asleep_zone(now: datetime | None = None) -> str:
    """A time zone where it is the middle of the night now (some zone always is), for the texts
    that must wait for her morning."""
    now = now or datetime.now(timezone.utc)
    return min(_WORLD, key=lambda zone: abs(now.astimezone(ZoneInfo(zone)).hour + 0.5 - 3))


def interview_day(day: int) -> date:
    """Day ``day`` of the (moved) example plan, counted as in December 2026: 7 is its Monday, 12
    and 13 a weekend (the office is closed), 25 the last Friday of a test round."""
    return FIRST_DAY + timedelta(days=day - FIRST_DAY.day, weeks=WEEKS)


def candidate(
    cid: str, *, day: int, voice: bool = True, sms: bool = False, also: tuple[int, ...] = (), **extra: Any
) -> dict[str, Any]:
    """A test candidate free for a whole office day of the plan (and the days ``also``, on the
    London office's clock), living where it is daytime now."""
    office = ZoneInfo("Europe/London")
    free = [
        {
            "start": datetime.combine(on, time(9), office).isoformat(),
            "end": datetime.combine(on, time(18), office).isoformat(),
        }
        for on in map(interview_day, (day, *also))
    ]
    return {
        "id": cid,
        "name": f"{cid.title()} Test",
        "phone": next_phone(),
        "email": f"{cid}@mail.example",
        "time_zone": awake_zone(),
        "call_times": call_times(),
        "interview_times": free,
        "consent": {"automated_voice": voice, "sms": sms},
        **extra,
    }


def round_data(round_id: str, candidates: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = rebased(example_data(), WEEKS)
    data["id"] = round_id
    data["candidates"] = candidates
    data["calling"] = {"mode": "automated"}  # the recruiter's live call is tested by its own rounds
    data["changes"] = {"follow_through": False}  # runs end at the decision; reminders and moves have their round
    # three working weeks (the example has two): a test round may give each candidate her own day
    data["plan"]["dates"]["end"] = str(interview_day(25))
    # every test round gets calendars of its own so rounds never compete for a day
    data["staff"] = [{**s, "id": f"{s['id']}-{round_id}"} for s in data["staff"]]
    data["plan"]["panel"] = [f"{p}-{round_id}" for p in data["plan"]["panel"]]
    data["rooms"] = [{**r, "id": f"{r['id']}-{round_id}"} for r in data["rooms"]]
    return data


def write_round(directory: Path, data: dict[str, Any]) -> Path:
    path = directory / f"{data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# (calls, reply by link after attempt 1, what she decides): the mix cycles through these
MIX: list[tuple[list[str], str | None, Outcome]] = [
    (["answer-confirm"], None, Outcome.confirmed),
    (["voicemail"], "confirm", Outcome.confirmed),
    (["answer-decline"], None, Outcome.declined),
    (["voicemail"], "decline", Outcome.declined),
    (["slow-answer"], None, Outcome.confirmed),
    (["busy", "busy"], None, Outcome.released),
]


@dataclass(frozen=True)
class Scripted:
    round_id: str
    candidates: list[dict[str, Any]]
    calls: dict[str, list[str]]
    replies: dict[str, str]  # her link's choice
    expected: dict[str, Outcome]


def scripted(round_id: str, count: int, *, first_day: int = 7) -> Scripted:
    """``count`` candidates cycling through ``MIX``, each on a weekday of her own when possible."""
    weekdays = [d for d in range(first_day, 26) if d % 7 not in (5, 6)]  # 12, 13, 19, 20: weekends
    people, calls, replies, expected = [], {}, {}, {}
    for n, ((script, reply, outcome), day) in enumerate(zip(itertools.cycle(MIX), itertools.cycle(weekdays))):
        if n == count:
            break
        cid = f"c{n:03d}"
        people.append(candidate(cid, day=day))
        calls[cid], expected[cid] = script, outcome
        if reply:
            replies[cid] = reply
    return Scripted(round_id, people, calls, replies, expected)
