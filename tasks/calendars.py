"""Calendar boundary: busy times, holds, bookings and releases on staff, room and recruiter
calendars, each through the client its reference names (``tasks/clients/calendar_backends.py``).

A hold is a tentative event whose UID is its business key, so placing it twice is a no-op. A
clash (another run holds an overlapping time) is a result, not an error: it is persisted, so a
replay takes the same decision. A video interview's meeting (Google Meet, Microsoft Teams) is made once
on a booked event. Events: ``secondround.candidate.held``, ``.booked``, ``.meeting-made``,
``.hold-released``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prefect import task

from config.calendar_refs import Backend, split_ref
from config.round import RoundDetails
from config.settings import Settings, get_settings
from tasks.clients.calendar_backends import calendars
from tasks.clients.reservations import Clash, Entry
from tasks.effects import EFFECT_TASK, Done, EffectKey, done, fault_point, only_transient

Busy = dict[str, list[tuple[datetime, datetime]]]


class HoldResult(Done):
    uid: str
    calendar: str
    ok: bool


class MeetingLink(Done):
    link: str  # empty: the booking was gone, so no meeting


def calendar_refs(round_: RoundDetails, *, settings: Settings | None = None) -> dict[str, str]:
    """Each staff member's and room's calendar: from the round file, else under the CalDAV base URL."""
    base = (settings or get_settings()).caldav_url.rstrip("/")
    refs = {f"staff:{s.id}": s.calendar or f"{base}/staff-{s.id}/" for s in round_.staff}
    refs |= {f"room:{r.id}": r.calendar or f"{base}/room-{r.id}/" for r in round_.rooms}
    return {key: _collection(ref) for key, ref in refs.items()}


def _collection(ref: str) -> str:
    """A CalDAV URL names a collection: it ends with a slash. Other references stay as written."""
    return ref if split_ref(ref)[0] is not Backend.caldav or ref.endswith("/") else ref + "/"


def recruiter_calendar(round_: RoundDetails, *, settings: Settings | None = None) -> str:
    """The recruiter's calendar, whose busy times live calls avoid: the round file's, else under the base URL."""
    base = (settings or get_settings()).caldav_url.rstrip("/")
    return _collection(round_.organisation.recruiter.calendar or f"{base}/recruiter/")


def hold_uid(key: EffectKey) -> str:
    return f"{key}@{get_settings().mail_domain}"


@task(name="find-busy", retries=3, retry_delay_seconds=[1, 5, 20], retry_condition_fn=only_transient)
async def find_busy(refs: dict[str, str], start: datetime, end: datetime) -> Busy:
    """Busy times per calendar key (``staff:<id>``, ``room:<id>``) between ``start`` and ``end``."""
    async with calendars(get_settings()) as clients:
        return await clients.busy(refs, start, end)


@task(name="place-hold", **EFFECT_TASK)
async def place_hold(
    key: EffectKey, *, calendar: str, start: datetime, end: datetime, guard: timedelta, summary: str
) -> HoldResult:
    uid = hold_uid(key)
    fault_point(key, "before")
    try:
        async with calendars(get_settings()) as clients:
            client, address = await clients.client(calendar)
            await client.hold(address, Entry(uid, start, end), summary=summary, guard=guard)
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
    async with calendars(get_settings()) as clients:
        client, address = await clients.client(hold.calendar)
        if confirm:
            booked = await client.confirm(address, hold.uid, summary=summary, description=description)
        else:
            await client.release(address, hold.uid)
    fault_point(key, "after")
    if not confirm:
        return done(key, f"released {hold.calendar}", event="hold-released", uid=hold.uid)
    if not booked:  # someone deleted the hold by hand: say so, the recruiter sees it on the timeline
        return done(key, f"hold on {hold.calendar} was gone: not booked", event="booked", uid=hold.uid, missing=True)
    return done(key, f"booked {hold.calendar}", event="booked", uid=hold.uid)


@task(name="make-meeting-link", **EFFECT_TASK)
async def make_meeting_link(key: EffectKey, *, hold: HoldResult) -> MeetingLink:
    """The video meeting on a booked event, made by its calendar (once: a replay finds it)."""
    fault_point(key, "before")
    async with calendars(get_settings()) as clients:
        client, address = await clients.client(hold.calendar)
        link = await client.meeting_link(address, hold.uid) or ""
    fault_point(key, "after")
    if not link:
        return MeetingLink(**done(key, f"booking on {hold.calendar} was gone: no meeting").model_dump(), link="")
    line = done(key, f"meeting made on {hold.calendar}: {link}", event="meeting-made", link=link)
    return MeetingLink(**line.model_dump(), link=link)


ERASED = "candidate (erased)"


async def redact_bookings(bookings: list[tuple[str, str]], *, title: str) -> int:
    """Replace her name and contact on her bookings (calendar reference, UID) with ``ERASED``
    (erasure); how many were found. A hold released long ago is gone already: nothing to redact."""
    found = 0
    async with calendars(get_settings()) as clients:
        for ref, uid in bookings:
            client, address = await clients.client(ref)
            found += await client.confirm(address, uid, summary=f"{title}: {ERASED}", description=ERASED)
    return found
