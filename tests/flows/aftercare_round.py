"""The aftercare round for ``test_aftercare.py``: each candidate answers the call and confirms,
and her run stays with her until the day: Kim is reminded and the panel reports on her day from
its form, Leo moves his interview from his page and the recruiter records him as a no-show in the
run's resume form, Mia cancels hers (her slot goes to Oli, on the waitlist), and nobody reports
on Ned's day."""

from __future__ import annotations

import asyncio
import re
import time as clock
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from prefect.deployments import arun_deployment
from prefect.flow_runs import aresume_flow_run

from flows.models import Slot, Wait
from flows.replies import candidate_runs, standing, waits_for
from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data

ROUND = "aftercare"
CALLS = {"kim": ["answer-confirm"], "leo": ["answer-confirm"], "mia": ["answer-confirm"], "ned": ["answer-confirm"]}
WAITLISTED = {"oli": ["answer-decline"]}  # offered Mia's slot when she cancels; declines on the call
KIM_REPORT = {"came": "on_time", "dressed": "yes", "brought": "yes", "enthusiasm": "5", "by": "Amara Okafor"}


async def until_waiting(cid: str, what: Wait, *, patience: float = 240) -> None:
    """Her run, once it is suspended at a wait of ``what``."""
    give_up = clock.monotonic() + patience
    while clock.monotonic() < give_up:
        runs = await candidate_runs(ROUND, cid)
        if runs and waits_for(runs[0], what):
            return
        await asyncio.sleep(1)
    raise TimeoutError(f"{cid} never waited for {what.value}")


def panel_link(harness: Harness, cid: str, *, move: int = 0) -> str:
    """The link in the panel's request for the day's report."""
    asked = next(e for e in harness.effects(ROUND, cid) if f".{move}.report-ask-" in e.key)
    return str(re.findall(r"(http://\S+/panel/reports/\S+)", asked.body["body"])[0])


def page_link(harness: Harness, cid: str) -> str:
    """The link in her confirmation, where she may move or cancel."""
    confirmation = next(e for e in harness.effects(ROUND, cid) if e.key.endswith(".0.confirmation"))
    return str(re.findall(r"(http://\S+/r/\S+)", confirmation.body["body"])[0])


async def leo(harness: Harness, http: httpx.AsyncClient, seen: dict[str, Any]) -> None:
    await until_waiting("leo", Wait.day)
    link = page_link(harness, "leo")
    seen["leo-page"] = await http.get(link)
    await http.post(link, data={"choice": "move", "times": "the day after"})
    for _ in range(240):
        if "Book this time" in (offered := await http.get(link)).text:
            break
        await asyncio.sleep(0.5)
    seen["leo-offered"] = (offered, (await standing(ROUND, "leo")).offer)  # type: ignore[union-attr]
    await http.post(link, data={"choice": "pick", "slot": "0"})
    await until_waiting("leo", Wait.report, patience=600)
    [run] = [r for r in await candidate_runs(ROUND, "leo") if waits_for(r, Wait.report)]
    # the recruiter, in the Prefect UI's resume form of the waiting run
    await aresume_flow_run(run.id, run_input={"came": "no_show", "by": "Priya Raman", "notes": "no word from him"})


async def kim(harness: Harness, http: httpx.AsyncClient, seen: dict[str, Any]) -> None:
    await until_waiting("kim", Wait.report, patience=600)
    link = panel_link(harness, "kim")
    seen["kim-form"] = await http.get(link)
    seen["kim-reported"] = await http.post(link, data=KIM_REPORT)


async def mia(harness: Harness, http: httpx.AsyncClient, seen: dict[str, Any]) -> None:
    await until_waiting("mia", Wait.day)
    link = page_link(harness, "mia")
    await http.post(link, data={"choice": "cancel"})
    seen["mia-link"] = link


async def late_report(http: httpx.AsyncClient, link: str) -> str:
    """A panel member's report after Ned's run closed without one: his form's page, once it is settled."""
    await http.post(link, data=KIM_REPORT | {"came": "late"})
    for _ in range(60):
        if "kept for the recruiter" in (page := await http.get(link)).text:
            break
        await asyncio.sleep(0.5)
    return page.text


async def the_evening_before(harness: Harness, slot: Slot) -> list[str]:
    """The hourly day-lists deployment, twice, as of the evening before Kim's interview; their states."""
    zone = ZoneInfo(harness.rounds[ROUND].details.venue_zone)
    evening = datetime.combine(slot.start.astimezone(zone).date() - timedelta(days=1), time(18, 30), zone)
    states: list[str] = []
    for _ in range(2):  # the next hour's run sends nothing again
        parameters = {"request": {"as_of": evening.isoformat()}}
        run = await arun_deployment("day-lists/day-lists", parameters=parameters, timeout=0, as_subflow=False)
        done = await harness.wait([run.id], timeout=120)
        state = done[run.id].state
        states.append(str(state.name) if state else "none")
    return states


async def promoted(harness: Harness, cid: str) -> tuple[list[str], Any]:
    """The waitlisted candidate's run, started by a released slot: its tags and its result."""
    for _ in range(240):
        runs = await candidate_runs(ROUND, cid)
        if runs:
            await harness.wait([runs[0].id], timeout=240)
            return runs[0].tags, await harness.result(runs[0].id)
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{cid} was never offered a slot")


def play_aftercare(harness: Harness) -> dict[str, Any]:
    people = [
        candidate("kim", day=7, sms=True),  # reminded the day before and on the morning
        candidate("leo", day=8, also=(9,)),  # moves from the 8th to the 9th
        candidate("mia", day=11, sms=True),  # cancels
        candidate("ned", day=10),  # nobody reports on his day
        candidate("oli", day=11, waitlist_rank=1),  # on the waitlist for Mia's day
    ]
    data = round_data(ROUND, people)
    data["changes"] = {"follow_through": True, "choose_window": "PT72H", "report_within": "PT144H"}
    round_ = harness.round(data, CALLS | WAITLISTED)

    async def play() -> dict[str, Any]:
        ids = {cid: await harness.start(round_, cid, waitlist=("oli",) if cid == "mia" else ()) for cid in CALLS}
        seen: dict[str, Any] = {}
        async with httpx.AsyncClient(timeout=60, follow_redirects=True) as http:
            await asyncio.gather(leo(harness, http, seen), mia(harness, http, seen), kim(harness, http, seen))
            await harness.wait(list(ids.values()), timeout=400)
            seen["results"] = {cid: await harness.result(run_id) for cid, run_id in ids.items()}
            seen["oli"] = await promoted(harness, "oli")
            seen["day-lists"] = await the_evening_before(harness, seen["results"]["kim"].slot)
            seen["ned-late"] = await late_report(http, panel_link(harness, "ned"))
            seen["mia-page"] = await http.get(seen["mia-link"])
            seen["leo-moved"] = await http.get(page_link(harness, "leo"))
        return seen

    return asyncio.run(play())
