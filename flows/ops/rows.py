"""What the round's table says of each candidate, and the response analytics over them. Pure:
a row is built from her timeline (``row_of``); ``table`` and ``responses`` read rows only. The
analytics include the day itself, from the panel's reports: who came, who followed the dress and
bring instructions, by the channel that reached her and by how many attempts it took.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from config.round import Candidate
from flows.day_report import Attendance, RecordedReport
from flows.models import Decision, RecordedReply, Reply, Slot
from tasks.bridge import LEFT_MESSAGE, MISSED
from tasks.effects import Done

CONTACT = {"call", "voicemail", "email", "sms"}


def _reached(line: Done) -> bool:
    """A contact with her: a call, voicemail, email or text, or a ring of the recruiter's that
    got through to her phone (a missed ring is not)."""
    ring = line.step.startswith("ring-") and not line.detail.startswith(MISSED)
    return (line.step in CONTACT or ring) and line.attempt > 0


def _voicemail(line: Done) -> bool:
    """Our recorded voicemail, or the recruiter's own message on her machine."""
    return (line.step == "voicemail" and line.detail.startswith("voicemail left")) or (
        line.step.startswith("ring-") and LEFT_MESSAGE in line.detail
    )


class Zoned(Protocol):
    @property
    def time_zone(self) -> str: ...


class LateAnswer(BaseModel):
    """An answer that came after her run had decided: kept for the recruiter, never acted on."""

    candidate_id: str
    what: str  # "confirm by sms"
    at: datetime


class Row(BaseModel):
    candidate_id: str
    name: str
    state: str
    attempt: int = 0
    last_contact: datetime | None = None
    next_action: str = ""
    slot: Slot | None = None
    outcome: str | None = None
    first_contact: datetime | None = None
    replied_at: datetime | None = None
    voicemail: bool = False
    enthusiasm: int | None = None  # the recruiter's impressions from talking to her, 1 to 5
    professionalism: int | None = None
    talked: bool = False  # the recruiter recorded impressions of a conversation
    asked: bool = False  # she asked questions in it
    reached_by: str | None = None  # the channel of her decisive answer (link, sms, call, recruiter)
    came: str | None = None  # the panel's report: on_time, late, no_show, no_report
    followed: bool | None = None  # she followed the dress and bring instructions (None: not said)
    day: str = ""  # the report in a few words


def row_of(
    candidate: Candidate, lines: Sequence[Done], *, state: str, slot: Slot | None, next_action: str, outcome: str | None
) -> Row:
    """Her row from her timeline as it stands."""
    contacts = sorted((line for line in lines if _reached(line)), key=lambda x: x.at)
    replies = [line for line in lines if line.step == "reply" and line.detail.startswith("replied")]
    heard = _heard(lines)
    reports = [line.report for line in lines if isinstance(line, RecordedReport)]
    report = reports[-1] if reports else None
    return Row(
        candidate_id=candidate.id,
        name=candidate.name,
        state=state,
        attempt=max((line.attempt for line in lines), default=0),
        last_contact=contacts[-1].at if contacts else None,
        next_action=next_action,
        slot=slot,
        outcome=outcome,
        first_contact=contacts[0].at if contacts else None,
        replied_at=min((r.at for r in replies), default=None),
        voicemail=any(_voicemail(line) for line in lines),
        enthusiasm=heard.enthusiasm if heard else None,
        professionalism=heard.professionalism if heard else None,
        talked=bool(heard and heard.impressions()),
        asked=bool(heard and heard.questions),
        reached_by=heard.channel.value if heard else None,
        came=report.came.value if report else None,
        followed=report.followed if report else None,
        day=report.summary() if report else "",
    )


def _heard(lines: Sequence[Done]) -> Reply | None:
    """Her decisive reply (the latest that is not the deadline's "no reply")."""
    replies = [line.reply for line in sorted(lines, key=lambda x: x.at) if isinstance(line, RecordedReply)]
    decided = [reply for reply in replies if reply.decision is not Decision.no_reply]
    return decided[-1] if decided else None


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def responses(rows: Sequence[Row]) -> dict[str, Any]:
    """How the round's candidates answered, over those decided."""
    decided = [r for r in rows if r.outcome]
    confirmed = [r for r in decided if r.outcome == "confirmed"]
    waits = sorted(
        (r.replied_at - r.first_contact).total_seconds() for r in decided if r.replied_at and r.first_contact
    )

    def share(count: int) -> str:
        return f"{count / len(decided):.0%} ({count})" if decided else "-"

    return {
        "candidates": len(rows),
        "decided": len(decided),
        "confirmed on the first attempt": share(sum(1 for r in confirmed if r.attempt == 1 and not r.voicemail)),
        "confirmed after a voicemail": share(sum(1 for r in confirmed if r.attempt == 1 and r.voicemail)),
        "confirmed after a retry": share(sum(1 for r in confirmed if r.attempt > 1)),
        "released": share(len(decided) - len(confirmed)),
        "time to reply, median": _minutes(statistics.median(waits)) if waits else "-",
        "time to reply, slowest": _minutes(waits[-1]) if waits else "-",
        "enthusiasm by outcome": _by_outcome(decided, "enthusiasm"),
        "professionalism by outcome": _by_outcome(decided, "professionalism"),
        "she asked questions, of the calls recorded": _asked(decided),
        **_the_day(rows),
    }


REPORTED = {Attendance.on_time.value, Attendance.late.value, Attendance.no_show.value}


def _the_day(rows: Sequence[Row]) -> dict[str, str]:
    """Who came and who followed the instructions, over the rows the panel reported on."""
    reported = [r for r in rows if r.came in REPORTED]
    came = [r for r in reported if r.came != Attendance.no_show.value]
    told = [r for r in came if r.followed is not None]
    attended = ", ".join(
        f"{what.replace('_', ' ')} {_share(sum(r.came == what for r in reported), len(reported))}"
        for what in sorted(REPORTED)
    )
    return {
        "the day, of those reported": attended if reported else "-",
        "no reply from the panel": str(sum(1 for r in rows if r.came == Attendance.no_report.value)),
        "followed the instructions, of those who came": _share(sum(1 for r in told if r.followed), len(told)),
        "no-show by the channel that reached her": _rate_by(reported, "reached_by", _no_show),
        "no-show by the attempts it took": _rate_by(reported, "attempt", _no_show),
        "instructions followed by the channel that reached her": _rate_by(told, "reached_by", _followed),
        "instructions followed by the attempts it took": _rate_by(told, "attempt", _followed),
    }


def _no_show(row: Row) -> bool:
    return row.came == Attendance.no_show.value


def _followed(row: Row) -> bool:
    return bool(row.followed)


def _share(count: int, of: int) -> str:
    return f"{count / of:.0%} ({count} of {of})" if of else "-"


def _rate_by(rows: Sequence[Row], field: str, hit: Callable[[Row], bool]) -> str:
    """``link: 0% (0 of 2); sms: 50% (1 of 2)``: how often ``hit`` held, by the value of ``field``."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(getattr(row, field) or "-"), []).append(row)
    return (
        "; ".join(f"{name}: {_share(sum(map(hit, rows_)), len(rows_))}" for name, rows_ in sorted(groups.items()))
        or "-"
    )


def _by_outcome(rows: Sequence[Row], score: str) -> str:
    """``confirmed: 5/5 x2, 4/5 x1; declined: 2/5 x1``: how often each score came with each outcome."""
    found: dict[str, Counter[int]] = {}
    for row in rows:
        value = getattr(row, score)
        if value is not None and row.outcome:
            found.setdefault(row.outcome, Counter())[value] += 1
    parts = [
        f"{outcome}: " + ", ".join(f"{value}/5 x{n}" for value, n in sorted(counts.items(), reverse=True))
        for outcome, counts in sorted(found.items())
    ]
    return "; ".join(parts) or "-"


def _asked(rows: Sequence[Row]) -> str:
    talked = [row for row in rows if row.talked]
    return f"{sum(row.asked for row in talked) / len(talked):.0%} ({len(talked)} calls)" if talked else "-"


def _late(answer: LateAnswer | None, at: Callable[[datetime | None], str]) -> str:
    return f"{answer.what}, {at(answer.at)}" if answer else "-"


def table(round_: Zoned, rows: Sequence[Row], *, late: Sequence[LateAnswer] = ()) -> list[dict[str, Any]]:
    """The round's table on the round's clock; ``late`` adds each candidate's latest late answer."""
    zone = ZoneInfo(round_.time_zone)
    latest = {answer.candidate_id: answer for answer in sorted(late, key=lambda a: a.at)}

    def at(moment: datetime | None) -> str:
        return f"{moment.astimezone(zone):%a %d %b %H:%M}" if moment else "-"

    return [
        {
            "candidate": r.name,
            "state": r.state,
            "attempt": r.attempt,
            "last contact": at(r.last_contact),
            "next action": r.next_action,
            "slot": at(r.slot.start) if r.slot else "-",
            "room": r.slot.room_id if r.slot else "-",
            "enthusiasm": f"{r.enthusiasm}/5" if r.enthusiasm else "-",
            "professionalism": f"{r.professionalism}/5" if r.professionalism else "-",
            "late answer": _late(latest.get(r.candidate_id), at),
            "the day": r.day or "-",
        }
        for r in sorted(rows, key=lambda r: r.name)
    ]
