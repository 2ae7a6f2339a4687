"""day-lists: the evening before an interview day, each panel member gets the day's list.

Scheduled hourly (``prefect.yaml``). For each round with a table, once it is
``reminders.staff_evening`` on the venue's clock, the candidates confirmed for tomorrow (from the
round's table) are listed for each panel member: who, when on the venue's clock, where, and their
part. One email per member, round and day, keyed like every effect
(``<round>.day-<date>.0.day-list-<member>``): the hourly runs after the first, a retry or a rerun
send nothing again. A candidate confirmed after the list went out has her own briefing.
``as_of`` previews another moment. Event: ``secondround.candidate.staff-notified`` per list.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from config.round import RoundDetails
from flows.messages.context import MessageContext, context
from flows.messages.render import staff_email
from flows.models import CallbackRequest
from flows.ops.dashboard import boards, read_rows
from flows.ops.rows import Row
from flows.replies import candidate_runs
from tasks.effects import EffectKey
from tasks.mail import send_email

NEAR = timedelta(hours=54)  # tomorrow's end, from the earliest evening on any clock


class DayListRequest(BaseModel):
    as_of: datetime | None = Field(default=None, description="Act as if it were this moment (a preview); now if empty")


class DayListResult(BaseModel):
    sent: dict[str, list[str]] = Field(default_factory=dict, description="By round: the members who got a list")


def tomorrow_if_evening(now: datetime, *, zone: str, evening: time) -> date | None:
    """Tomorrow on the venue's clock once its evening has come, else None."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date() + timedelta(days=1) if local.time() >= evening else None


@flow(name="day-lists")
async def day_lists(request: DayListRequest) -> DayListResult:
    now = request.as_of or datetime.now(timezone.utc)
    result = DayListResult()
    for board in await boards():
        found = await _tomorrow(board.round.id, now)
        if found is None:
            continue
        round_, day, listed = found
        for member in map(round_.staff_member, round_.plan.panel):
            message = staff_email("staff_day_list", dataclasses.replace(listed[0], day_list=listed), member)
            key = EffectKey(round_id=round_.id, candidate_id=f"day-{day}", attempt=0, step=f"day-list-{member.id}")
            await send_email(key, message, to_candidate=False)
            result.sent.setdefault(round_.id, []).append(member.id)
        get_run_logger().info("%s: the list for %s to %s", round_.id, day, ", ".join(result.sent[round_.id]))
    return result


async def _tomorrow(round_id: str, now: datetime) -> tuple[RoundDetails, date, tuple[MessageContext, ...]] | None:
    """The round, tomorrow's date and the contexts of those confirmed for it, in order; None before
    the venue's evening or with nobody confirmed for tomorrow."""
    # only her run knows the round's staff: read the runs of those whose interview is near, not all
    ahead = [
        r for r in await read_rows(round_id) if r.outcome == "confirmed" and r.slot and now < r.slot.start < now + NEAR
    ]
    theirs = [(found, row) for row in ahead if (found := await _request(round_id, row)) is not None]
    if not theirs:
        return None
    round_ = theirs[0][0].round
    day = tomorrow_if_evening(now, zone=round_.venue_zone, evening=round_.reminders.staff_evening)
    tomorrow = sorted((c for c in (_context(*pair) for pair in theirs) if c[0] == day), key=lambda c: c[1])
    return (round_, day, tuple(ctx for _, _, ctx in tomorrow)) if day is not None and tomorrow else None


async def _request(round_id: str, row: Row) -> CallbackRequest | None:
    """Her run's request: the round's plan and staff, and her, as her run was given them."""
    runs = await candidate_runs(round_id, row.candidate_id)
    return CallbackRequest.model_validate(runs[0].parameters["request"]) if runs else None


def _context(request: CallbackRequest, row: Row) -> tuple[date, datetime, MessageContext]:
    """Her day on the venue's clock, her start, and her context at the time on her row."""
    assert row.slot is not None
    day = row.slot.start.astimezone(ZoneInfo(request.round.venue_zone)).date()
    return day, row.slot.start, context(request.round, request.candidate, row.slot)
