"""Which calendar backend held what: the demo's account of every staff and room calendar of a
round, its backend, and the interview events on it (still tentative, or booked).

Read straight from the peers: Radicale over CalDAV, the Microsoft Graph stand-in over its API.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta, timezone

import httpx

from config.calendar_refs import Backend, split_ref
from config.round import HiringRound
from config.settings import Settings
from sandbox.graph_api import CLIENT_ID, CLIENT_SECRET
from tasks.clients.caldav import caldav

NAMES = {Backend.caldav: "CalDAV (Radicale)", Backend.microsoft: "Microsoft Graph (stand-in)"}


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
            else:
                statuses = [s for uid, s in await dav.events(address, first, last) if uid.startswith(f"{round_.id}.")]
            counted = Counter(statuses)
            held = f"{counted['CONFIRMED']} booked, {counted['TENTATIVE']} still held"
            rows.append([key, NAMES[backend], address.rsplit("/secondround/", 1)[-1], held])
    return rows
