"""Calendar boundary: busy times, holds, confirmations and releases for staff and rooms.

A hold is a tentative event whose UID is its business key, so placing it twice is a no-op.
A clash is a result, not an error: it is persisted, so a replay takes the same decision.
Events: ``secondround.candidate.held``, ``.booked``, ``.hold-released``.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task

from sandbox.ledger import HoldConflict
from tasks.effects import EFFECT_TASK, Done, EffectKey, done, fault_point, sandbox_peers

Busy = dict[str, list[tuple[datetime, datetime]]]


class HoldResult(Done):
    uid: str
    calendar: str
    ok: bool


@task(name="find-busy")
async def find_busy(calendars: list[str], start: datetime, end: datetime) -> Busy:
    peers = sandbox_peers()
    return {calendar: peers.busy(calendar, start, end) for calendar in calendars}


@task(name="place-hold", **EFFECT_TASK)
async def place_hold(key: EffectKey, *, calendar: str, start: datetime, end: datetime) -> HoldResult:
    fault_point(key, "before")
    try:
        sandbox_peers().hold(
            str(key), calendar=calendar, round_id=key.round_id, candidate_id=key.candidate_id, start=start, end=end
        )
    except HoldConflict as clash:
        line = done(key, f"could not hold {calendar}: {clash}")
        return HoldResult(**line.model_dump(), uid=str(key), calendar=calendar, ok=False)
    fault_point(key, "after")
    line = done(key, f"held {calendar} {start:%Y-%m-%d %H:%M}Z", event="held", calendar=calendar)
    return HoldResult(**line.model_dump(), uid=str(key), calendar=calendar, ok=True)


@task(name="settle-hold", **EFFECT_TASK)
async def settle_hold(key: EffectKey, *, uid: str, status: str) -> Done:
    """Turn a hold into a booking (``confirmed``) or free it (``cancelled``)."""
    fault_point(key, "before")
    sandbox_peers().set_status(uid, status)
    fault_point(key, "after")
    event = "booked" if status == "confirmed" else "hold-released"
    return done(key, f"{uid} {status}", event=event, uid=uid)
