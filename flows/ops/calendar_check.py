"""``secondround calendars check FILE``: can we reach every calendar of a round?

Reads one day of busy time from each staff, room and recruiter calendar, whatever its backend
(CalDAV, Microsoft Graph), and says which work and, for those that do not, why (a refused
login, a missing permission, a calendar that does not exist, a server that does not answer).
Read only: nothing is held or written (in the sandbox a missing CalDAV calendar is created, as
the runs would).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from config.errors import ChannelError, ConfigError
from config.round import HiringRound
from config.settings import Settings
from tasks.calendars import calendar_refs, recruiter_calendar
from tasks.clients.calendar_backends import calendars


class Reach(BaseModel):
    calendar: str  # staff:<id>, room:<id>, recruiter
    ref: str
    works: bool
    detail: str


async def check_calendars(round_: HiringRound, settings: Settings, *, now: datetime) -> list[Reach]:
    details = round_.details
    refs = calendar_refs(details, settings=settings) | {"recruiter": recruiter_calendar(details, settings=settings)}
    found = []
    async with calendars(settings) as clients:
        for key, ref in refs.items():
            try:
                client, address = await clients.client(ref)
                busy = await client.busy(address, now, now + timedelta(days=1))
            except (ChannelError, ConfigError) as error:
                found.append(Reach(calendar=key, ref=ref, works=False, detail=str(error)))
                continue
            found.append(Reach(calendar=key, ref=ref, works=True, detail=f"{len(busy)} busy in the next 24 h"))
    return found
