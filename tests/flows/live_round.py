"""Rounds for ``test_live_call.py``: one round per path, each with its own recruiter phone (the
sandbox plays the recruiter ring by ring), all in recruiter mode, run at once on the live stack."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx

from config.round import HiringRound
from flows.models import CallbackResult, Decision, Reply, ReplyChannel
from sandbox.candidates import record_on_form
from sandbox.harness import Harness
from sandbox.rounds import awake_zone, candidate, next_phone, round_data
from tasks.clients.caldav import caldav


@dataclass
class Path:
    recruiter: list[str]  # the recruiter's phone, ring by ring (then no answer)
    her: str = "answer-confirm"  # her phone on the first attempt
    rings: int = 2
    voice: bool = True  # her consent to a recorded voicemail
    record: bool = False
    crash: str = ""  # SECONDROUND_FAULT_CRASH_AT
    busy_now: bool = False  # the recruiter's calendar is busy for the next three hours
    later: Reply | None = None  # her own answer after the call, else the recruiter's form
    graph_room: bool = False  # the rooms' calendars on the Microsoft Graph stand-in
    env: dict[str, str] = field(default_factory=dict)


FORM = {"decision": "confirm", "enthusiasm": "5", "professionalism": "4", "questions": "Is there parking? Yes."}
BY_LINK = Reply(decision=Decision.confirm, channel=ReplyChannel.link)
PATHS = {
    "lia": Path(["connect"], record=True, graph_room=True),  # the recruiter answers, she answers; the form confirms
    "max": Path(["connect"], her="voicemail", later=BY_LINK),  # her machine: the recruiter's own message
    "ned": Path(["answer-decline", "busy", "connect"], rings=3),  # two misses, then the recruiter answers
    "ola": Path([], later=BY_LINK),  # the recruiter never answers: her attempt goes by email
    "pia": Path(["connect"], crash="ring-1:ringing"),  # a crash with the recruiter's phone ringing
    "quin": Path(["connect"], crash="ring-1:between"),  # a crash after the recruiter pressed 1
    "rob": Path(["connect-play-recording"], her="voicemail", later=BY_LINK),  # our recorded voicemail
    "sam": Path(["connect"], busy_now=True),  # the recruiter is in a meeting: the call waits for its end
}


def live_round(cid: str, path: Path) -> tuple[dict[str, Any], str]:
    """Her round (``live-<cid>``) and the recruiter's phone."""
    phone, zone = next_phone(), awake_zone()
    data = round_data(f"live-{cid}", [candidate(cid, day=8, voice=path.voice, sms=True, notes="Strong on SQL.")])
    data["calling"] = {"mode": "recruiter", "record": path.record, "recruiter_rings": path.rings}
    hours = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "06:00", "end": "22:00"}
    recruiter = data["organisation"]["recruiter"] | {"phone": phone, "hours": hours | {"time_zone": zone}}
    if path.busy_now:
        recruiter["calendar"] = f"{{base}}/recruiter-{cid}/"
    data["organisation"]["recruiter"] = recruiter
    data["cadence"]["reply_window"] = "P30D"  # about 4 min here: the test's answers decide, not the deadline
    if path.graph_room:  # her room on the Microsoft Graph stand-in, the panel on Radicale
        data["rooms"] = [{**r, "calendar": f"microsoft:{r['id']}@northwind.example"} for r in data["rooms"]]
    return data, phone


async def meeting_now(harness: Harness, calendar: str) -> None:
    """A three-hour meeting on the recruiter's calendar, from an hour ago."""
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    stamp = f"{start:%Y%m%dT%H%M%SZ}"
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//secondround tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:meeting@tests\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\n"
        f"DTEND:{start + timedelta(hours=3):%Y%m%dT%H%M%SZ}\r\nSUMMARY:Hiring committee\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    async with caldav(harness.stack.read_settings()) as dav:
        await dav.ensure(calendar)
        await dav.put_event(calendar, "meeting@tests", ics)


def prepare(harness: Harness) -> dict[str, HiringRound]:
    base = harness.stack.read_settings().caldav_url.rstrip("/")
    rounds = {}
    for cid, path in PATHS.items():
        data, phone = live_round(cid, path)
        recruiter = data["organisation"]["recruiter"]
        if "calendar" in recruiter:
            recruiter["calendar"] = recruiter["calendar"].format(base=base)
            asyncio.run(meeting_now(harness, recruiter["calendar"]))
        rounds[cid] = harness.round(data, {cid: [path.her]})
        harness.script(phone, path.recruiter)
    return rounds


async def answer(harness: Harness, cid: str, path: Path) -> None:
    """After the call: her own answer, or the recruiter's form (from the email after the call)."""
    if path.later is not None:
        await harness.reply_when_waiting(f"live-{cid}", cid, path.later)
        return
    await harness.waiting(f"live-{cid}", cid)
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
        assert await record_on_form(http, harness.ledger, f"live-{cid}", cid, attempt=1, said=FORM)


def play_live(harness: Harness) -> dict[str, CallbackResult]:
    rounds = prepare(harness)

    async def play() -> dict[str, CallbackResult]:
        from tests.flows.test_crash import retry  # what an operator does after a crash

        env = {cid: {"SECONDROUND_FAULT_CRASH_AT": p.crash} if p.crash else None for cid, p in PATHS.items()}
        runs: dict[str, UUID] = {cid: await harness.start(rounds[cid], cid, env=env[cid]) for cid in PATHS}
        crashing = [runs[cid] for cid, p in PATHS.items() if p.crash]
        await harness.wait(crashing, until=lambda r: bool(r.state and r.state.is_crashed()), timeout=300)
        await asyncio.gather(*(retry(run_id) for run_id in crashing))
        await asyncio.gather(*(answer(harness, cid, path) for cid, path in PATHS.items()))
        await harness.wait(list(runs.values()), timeout=300)
        return {cid: await harness.result(run_id) for cid, run_id in runs.items()}

    return asyncio.run(play())
