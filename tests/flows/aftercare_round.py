"""The aftercare round for ``test_aftercare.py``: each candidate answers the call and confirms,
and her run stays with her until the day: Kim is reminded, Leo moves his interview from his
page, Mia cancels hers."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx

from flows.models import Wait
from flows.replies import candidate_runs, standing, waits_for
from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data

ROUND = "aftercare"
CALLS = {"kim": ["answer-confirm"], "leo": ["answer-confirm"], "mia": ["answer-confirm"]}


async def until_waiting(cid: str, what: Wait, *, patience: float = 240) -> None:
    """Her run, once it is suspended at a wait of ``what``."""
    give_up = time.monotonic() + patience
    while time.monotonic() < give_up:
        runs = await candidate_runs(ROUND, cid)
        if runs and waits_for(runs[0], what):
            return
        await asyncio.sleep(1)
    raise TimeoutError(f"{cid} never waited for {what.value}")


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


async def mia(harness: Harness, http: httpx.AsyncClient, seen: dict[str, Any]) -> None:
    await until_waiting("mia", Wait.day)
    link = page_link(harness, "mia")
    await http.post(link, data={"choice": "cancel"})
    seen["mia-link"] = link


def play_aftercare(harness: Harness) -> dict[str, Any]:
    people = [
        candidate("kim", day=7, sms=True),  # reminded the day before and on the morning
        candidate("leo", day=8, also=(9,)),  # moves from the 8th to the 9th
        candidate("mia", day=10, sms=True),  # cancels
    ]
    data = round_data(ROUND, people)
    data["changes"] = {"follow_through": True, "choose_window": "PT72H"}
    round_ = harness.round(data, CALLS)

    async def play() -> dict[str, Any]:
        ids = {cid: await harness.start(round_, cid) for cid in CALLS}
        seen: dict[str, Any] = {}
        async with httpx.AsyncClient(timeout=60, follow_redirects=True) as http:
            await asyncio.gather(leo(harness, http, seen), mia(harness, http, seen))
            await harness.wait(list(ids.values()), timeout=400)
            seen["results"] = {cid: await harness.result(run_id) for cid, run_id in ids.items()}
            seen["mia-page"] = await http.get(seen["mia-link"])
            seen["leo-moved"] = await http.get(page_link(harness, "leo"))
        return seen

    return asyncio.run(play())
