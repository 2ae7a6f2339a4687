"""Calendar boundary: busy times, holds, bookings and releases on staff and room calendars,
over CalDAV (``tasks/clients/caldav.py``).

A hold is a tentative event whose UID is its business key, so placing it twice is a no-op. A
clash (another run holds an overlapping time) is a result, not an error: it is persisted, so a
replay takes the same decision. Events: ``secondround.candidate.held``, ``.booked``,
``.hold-released``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task

from config.round import RoundDetails
from config.settings import get_settings
from tasks.clients.caldav import caldav
from tasks.clients.reservations import Clash, Entry
from tasks.effects import EFFECT_TASK, Done, EffectKey, done, fault_point, only_transient

Busy = dict[str, list[tuple[datetime, datetime]]]


class HoldResult(Done):
    uid: str
    calendar: str
    ok: bool


def calendar_urls(round_: RoundDetails) -> dict[str, str]:
    """Each staff member's and room's calendar: from the round file, else under the base URL."""
    base = get_settings().caldav_url.rstrip("/")
    urls = {f"staff:{s.id}": s.calendar or f"{base}/staff-{s.id}/" for s in round_.staff}
    urls |= {f"room:{r.id}": r.calendar or f"{base}/room-{r.id}/" for r in round_.rooms}
    return {key: url if url.endswith("/") else url + "/" for key, url in urls.items()}


def recruiter_calendar(round_: RoundDetails) -> str:
    """The recruiter's calendar, whose busy times live calls avoid: the round file's, else under the base URL."""
    url = round_.organisation.recruiter.calendar or f"{get_settings().caldav_url.rstrip('/')}/recruiter/"
    return url if url.endswith("/") else url + "/"


def hold_uid(key: EffectKey) -> str:
    return f"{key}@{get_settings().mail_domain}"


@task(name="find-busy", retries=3, retry_delay_seconds=[1, 5, 20], retry_condition_fn=only_transient)
async def find_busy(calendars: dict[str, str], start: datetime, end: datetime) -> Busy:
    """Busy times per calendar key (``staff:<id>``, ``room:<id>``) between ``start`` and ``end``."""
    async with caldav(get_settings()) as dav:
        return {key: await dav.busy(url, start, end) for key, url in calendars.items()}


@task(name="place-hold", **EFFECT_TASK)
async def place_hold(
    key: EffectKey, *, calendar: str, start: datetime, end: datetime, guard: timedelta, summary: str
) -> HoldResult:
    uid = hold_uid(key)
    fault_point(key, "before")
    try:
        async with caldav(get_settings()) as dav:
            await dav.hold(calendar, Entry(uid, start, end), summary=summary, guard=guard)
    except Clash as clash:
        line = done(key, f"could not hold {calendar}: {clash}")
        return HoldResult(**line.model_dump(), uid=uid, calendar=calendar, ok=False)
    fault_point(key, "after")
    line = done(key, f"held {calendar} {start:%Y-%m-%d %H:%M}Z", event="held", calendar=calendar)
    return HoldResult(**line.model_dump(), uid=uid, calendar=calendar, ok=True)


@task(name="settle-hold", **EFFECT_TASK)
async def settle_hold(
    key: EffectKey, *, hold: HoldResult, confirm: bool, summary: str = "", description: str = ""
) -> Done:
    """Turn a hold into a booking, or free it."""
    fault_point(key, "before")
    async with caldav(get_settings()) as dav:
        if confirm:
            booked = await dav.confirm(hold.calendar, hold.uid, summary=summary, description=description)
        else:
            await dav.release(hold.calendar, hold.uid)
    fault_point(key, "after")
    if not confirm:
        return done(key, f"released {hold.calendar}", event="hold-released", uid=hold.uid)
    if not booked:  # someone deleted the hold by hand: say so, the recruiter sees it on the timeline
        return done(key, f"hold on {hold.calendar} was gone: not booked", event="booked", uid=hold.uid, missing=True)
    return done(key, f"booked {hold.calendar}", event="booked", uid=hold.uid)
