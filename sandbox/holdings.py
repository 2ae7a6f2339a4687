"""The demo's calendars on their three backends: seeded before the round (the first panel
member's weekly team meeting, which slots must avoid), and afterwards which backend held what:
every staff and room calendar, its backend, and the interview events on it (booked, or still
held).

Straight to the peers: Radicale over CalDAV, the Google Calendar and Microsoft Graph stand-ins
over their APIs (the Google one's sandbox door, the Graph one with a token).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import httpx

from config.calendar_refs import Backend, split_ref
from config.round import HiringRound
from config.settings import Settings
from sandbox.graph_api import CLIENT_ID, CLIENT_SECRET
from tasks.clients.caldav import caldav
from tasks.clients.google import LEDGER_ID

NAMES = {
    Backend.caldav: "CalDAV (Radicale)",
    Backend.google: "Google Calendar (stand-in)",
    Backend.microsoft: "Microsoft Graph (stand-in)",
}


def round_refs(round_: HiringRound, settings: Settings) -> dict[str, str]:
    """As ``tasks.calendars.calendar_refs`` reads them, with these settings."""
    base = settings.caldav_url.rstrip("/")
    refs = {f"staff:{s.id}": s.calendar or f"{base}/staff-{s.id}/" for s in round_.staff}
    return refs | {f"room:{r.id}": r.calendar or f"{base}/room-{r.id}/" for r in round_.rooms}


async def graph_events(settings: Settings, mailbox: str) -> list[str]:
    """STATUS of each of our interview events on a Graph mailbox, as CalDAV would say it."""
    verify = str(settings.graph_ca_file) if settings.graph_ca_file else True
    async with httpx.AsyncClient(verify=verify, timeout=30) as http:
        token = await http.post(
            f"{settings.graph_authority_url}/sandbox/oauth2/v2.0/token",
            data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        found = await http.get(f"{settings.graph_api_url}/users/{mailbox}/calendar/events", headers=headers)
    ours = [e for e in found.json()["value"] if e.get("transactionId", "").count(".") >= 3]
    return ["CONFIRMED" if e.get("showAs") == "busy" else "TENTATIVE" for e in ours]


async def google_events(settings: Settings, calendar: str) -> list[str]:
    """STATUS of each of our interview events on a Google calendar (not the ledger, not a meeting)."""
    found = await _google(settings, "GET", calendar)
    ours = [e for e in found.json()["items"] if e["id"] != LEDGER_ID and not e.get("recurrence")]
    return [str(e.get("status", "confirmed")).upper() for e in ours]


async def _google(settings: Settings, method: str, calendar: str, body: dict[str, Any] | None = None) -> httpx.Response:
    verify = str(settings.google_ca_file) if settings.google_ca_file else True
    async with httpx.AsyncClient(verify=verify, timeout=30) as http:
        url = f"{settings.google_api_url.rstrip('/')}/sandbox/calendars/{calendar}/events"
        return await http.request(method, url, json=body)


async def seed_calendars(round_: HiringRound, settings: Settings) -> str:
    """The CalDAV calendars made, and the first panel member's weekly team meeting (Mondays
    09:00-10:00 in the round's zone) on that member's calendar, whatever its backend."""
    first = round_.plan.dates.start - timedelta(days=round_.plan.dates.start.weekday())  # that week's Monday
    owner = round_.staff_member(round_.plan.panel[0])
    backend, address = split_ref(round_refs(round_, settings)[f"staff:{owner.id}"])
    async with caldav(settings) as dav:
        for ref in round_refs(round_, settings).values():
            if split_ref(ref)[0] is Backend.caldav:
                await dav.ensure(ref)
        if backend is Backend.caldav:
            await dav.put_event(address, "team-meeting@demo", _meeting_ics(round_.time_zone, first))
    if backend is Backend.google:
        meeting: dict[str, Any] = {"summary": "Team meeting", "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"]}
        for part, hour in (("start", "09"), ("end", "10")):
            meeting[part] = {"dateTime": f"{first}T{hour}:00:00", "timeZone": round_.time_zone}
        (await _google(settings, "POST", address, meeting)).raise_for_status()
    return f"{owner.name} has a weekly team meeting, Mondays 09:00-10:00, on {NAMES[backend]}"


def _meeting_ics(zone: str, first: date) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//secondround demo//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:team-meeting@demo\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID={zone}:{first:%Y%m%d}T090000\r\nDTEND;TZID={zone}:{first:%Y%m%d}T100000\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Team meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def holdings(round_: HiringRound, settings: Settings) -> list[list[str]]:
    """One row per calendar: who or what, backend, address, interview events by status."""
    first = datetime.combine(round_.plan.dates.start, time(0), timezone.utc) - timedelta(days=2)
    last = datetime.combine(round_.plan.dates.end, time(0), timezone.utc) + timedelta(days=2)
    rows = []
    async with caldav(settings) as dav:
        for key, ref in round_refs(round_, settings).items():
            backend, address = split_ref(ref)
            if backend is Backend.microsoft:
                statuses = await graph_events(settings, address)
            elif backend is Backend.google:
                statuses = await google_events(settings, address)
            else:
                statuses = [s for uid, s in await dav.events(address, first, last) if uid.startswith(f"{round_.id}.")]
            counted = Counter(statuses)
            held = f"{counted['CONFIRMED']} booked, {counted['TENTATIVE']} still held"
            rows.append([key, NAMES[backend], address.rsplit("/secondround/", 1)[-1], held])
    return rows
