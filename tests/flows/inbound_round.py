"""The inbound round for ``test_inbound.py``: each candidate is called (nobody answers), emailed,
and waits; then she answers the way people do (her page, a text, a call back, the recruiter), and
one released after two silent attempts answers when her time has passed."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from prefect import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

from flows.models import Decision, Reply, ReplyChannel
from flows.replies import candidate_runs, deliver_reply, inbox, standing
from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data
from web.inbox import Inbox

ROUND = "inbound"
CALLS = {"lin": ["no-answer"], "sam": ["no-answer"], "tom": ["no-answer", "no-answer"], "uma": ["no-answer"]}
CALLS |= {"vic": ["no-answer"], "wes": ["no-answer"], "xia": ["no-answer"], "yan": ["no-answer", "no-answer"]}
CALLS |= {"zoe": ["no-answer"], "ada": ["no-answer"]}


def links(harness: Harness, cid: str) -> list[str]:
    return harness.links(ROUND, cid)


@dataclass
class Play:
    harness: Harness
    http: httpx.AsyncClient
    phone: dict[str, str]
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def web(self) -> str:
        return self.harness.stack.web_url

    async def offered(self, link: str, *, notice: str) -> httpx.Response:
        """Her page, once it offers her times with ``notice`` (her run has read the calendars)."""
        for _ in range(240):
            page = await self.http.get(link)
            if notice in page.text and "Book this time" in page.text:
                return page
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{link} never offered times: {page.text[-400:]}")

    async def texts(self, cid: str, body: str) -> str:
        """She texts us (the sandbox Twilio posts the signed webhook); our TwiML answer."""
        sms = {"from": self.phone[cid], "body": body}
        answer = await self.http.post(f"{self.harness.stack.twilio_url}/sandbox/inbound-sms", json=sms)
        return str(answer.json()["twiml"])


async def lin(p: Play) -> None:
    await Harness.waiting(ROUND, "lin")
    confirm, decline, _ = links(p.harness, "lin")
    p.seen["tampered"] = await p.http.get(confirm[:-2] + ("AA" if not confirm.endswith("AA") else "BB"))
    p.seen["page"] = await p.http.get(decline)
    p.seen["posted"] = await p.http.post(decline, data={"choice": "confirm"})


async def sam(p: Play) -> None:
    await Harness.waiting(ROUND, "sam")
    forged = {"From": p.phone["sam"], "Body": "NO"}
    p.seen["forged"] = await p.http.post(f"{p.web}/twilio/sms", data=forged, headers={"X-Twilio-Signature": "x"})
    p.seen["sam-yes"] = await p.texts("sam", "Yes")


async def tom(p: Play) -> None:
    await Harness.waiting(ROUND, "tom")
    p.seen["tom-help"] = await p.texts("tom", "HELP")
    p.seen["tom-stop"] = await p.texts("tom", "STOP")


async def uma(p: Play) -> None:
    await Harness.waiting(ROUND, "uma")
    call = {"from": p.phone["uma"], "digits": "2"}
    answer = await p.http.post(f"{p.harness.stack.twilio_url}/sandbox/inbound-call", json=call)
    p.seen["uma-call"] = answer.json()["twiml"]


async def vic(p: Play) -> None:
    await Harness.waiting(ROUND, "vic")
    body = {"round_id": ROUND, "candidate_id": "vic", "decision": "another_time"}
    body["preferred_time"] = "Thursdays after 2pm"
    p.seen["vic-anon"] = await p.http.post(f"{p.web}/recruiter/replies", json=body)
    auth = {"Authorization": "Bearer sandbox", "Idempotency-Key": "vic-call-1"}
    p.seen["vic-1"] = (await p.http.post(f"{p.web}/recruiter/replies", json=body, headers=auth)).json()
    p.seen["vic-2"] = (await p.http.post(f"{p.web}/recruiter/replies", json=body, headers=auth)).json()


async def zoe(p: Play) -> None:
    """She asks for another time on her page and picks the second of the times offered."""
    await Harness.waiting(ROUND, "zoe")
    another = links(p.harness, "zoe")[2]
    await p.http.post(another, data={"choice": "another-time", "times": "any weekday"})
    p.seen["zoe-offer"] = await p.offered(another, notice="You asked for another time")
    p.seen["zoe-offered"] = (await standing(ROUND, "zoe")).offer  # type: ignore[union-attr]
    p.seen["zoe-picked"] = await p.http.post(another, data={"choice": "pick", "slot": "1"})


async def ada(p: Play) -> None:
    """She picks a time that another candidate's run takes just before her pick reaches us."""
    await Harness.waiting(ROUND, "ada")
    another = links(p.harness, "ada")[2]
    await p.http.post(another, data={"choice": "another-time"})
    await p.offered(another, notice="You asked for another time")
    first = (await standing(ROUND, "ada")).offer  # type: ignore[union-attr]
    await p.harness.take(ROUND, first[0])
    await p.http.post(another, data={"choice": "pick", "slot": "0"})
    p.seen["ada-again"] = await p.offered(another, notice="taken by someone else")
    p.seen["ada-offers"] = (first, (await standing(ROUND, "ada")).offer)  # type: ignore[union-attr]
    await p.http.post(another, data={"choice": "pick", "slot": "0"})


async def wes(p: Play) -> None:
    # the service crashed after storing her reply on the run and before noting it: it is
    # delivered again under the same key, twice at once even; the run gets it once
    await Harness.waiting(ROUND, "wes")
    reply = Reply(decision=Decision.confirm, channel=ReplyChannel.link)
    twice = (deliver_reply(ROUND, "wes", reply, key="link:inbound.wes") for _ in range(2))
    delivered = await asyncio.gather(*twice)
    p.seen["wes-inbox"] = await inbox(UUID(delivered[0]))


async def xia(p: Play) -> None:
    # her answer came in while Prefect was unreachable: it sits in the service's inbox as
    # pending (stored, thanked, not delivered); the delivery loop picks it up on its own
    await Harness.waiting(ROUND, "xia")
    pending = Inbox(Path(p.harness.stack.env["SECONDROUND_STATE_DIR"]) / "web" / "inbox.sqlite")
    reply = Reply(decision=Decision.confirm, channel=ReplyChannel.sms, notes="stored while Prefect was down")
    await pending.add("sms:SM-while-down", ROUND, "xia", reply)


async def late_answers(p: Play) -> None:
    """Yan was released after two silent attempts; now she answers every way she can. Her text
    gives her a second chance: her page offers the times still free, and she picks one."""
    p.seen["yan-yes"] = await p.texts("yan", "YES")
    confirm = p.harness.links(ROUND, "yan", attempt=2)[0]
    p.seen["yan-page"] = await p.http.get(confirm)
    p.seen["yan-posted"] = await p.http.post(confirm, data={"choice": "confirm"})
    p.seen["yan-offer"] = await p.offered(confirm, notice="are still free")
    call = {"from": p.phone["yan"], "digits": "1"}
    p.seen["yan-call"] = (await p.http.post(f"{p.harness.stack.twilio_url}/sandbox/inbound-call", json=call)).json()
    p.seen["yan-offered"] = (await standing(ROUND, "yan")).offer  # type: ignore[union-attr]
    await p.http.post(confirm, data={"choice": "pick", "slot": "0"})
    runs = await candidate_runs(ROUND, "yan")
    p.seen["yan-runs"] = len(runs)
    [second] = [run.id for run in runs if "second-chance" in run.tags]
    await p.harness.wait([second], timeout=180)
    p.seen["yan-second"] = await p.harness.result(second)
    p.seen["yan-moved"] = await p.http.get(confirm)
    async with get_client() as client:
        [table] = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[f"round-{ROUND}"]))
        )
    p.seen["table"] = json.loads(table.data) if isinstance(table.data, str) else table.data


def play_inbound(harness: Harness) -> dict[str, Any]:
    people = [
        candidate("lin", day=7),
        candidate("sam", day=8, sms=True),
        candidate("tom", day=9, sms=True),
        candidate("uma", day=10),
        candidate("vic", day=11, also=(25,)),  # offered day 25, picks nothing in time
        candidate("wes", day=14),
        candidate("xia", day=15),
        candidate("yan", day=16, sms=True),  # silent twice, then answers when her time has passed
        candidate("zoe", day=17, also=(18, 21)),  # picks another time herself
        candidate("ada", day=22, also=(23, 24)),  # picks a time taken meanwhile, then another
    ]
    data = round_data(ROUND, people)
    data["changes"]["choose_window"] = "PT72H"  # 24 s here: time to read the page and pick
    round_ = harness.round(data, CALLS)

    async def play() -> dict[str, Any]:
        ids = {cid: await harness.start(round_, cid) for cid in CALLS}
        async with httpx.AsyncClient(timeout=60, follow_redirects=True) as http:
            p = Play(harness, http, {c.id: c.phone for c in round_.candidates})
            await asyncio.gather(*(scenario(p) for scenario in (lin, sam, tom, uma, vic, wes, xia, zoe, ada)))
            await harness.wait(list(ids.values()), timeout=300)
            p.seen["results"] = {cid: await harness.result(run_id) for cid, run_id in ids.items()}
            decline = links(harness, "lin")[1]
            p.seen["again"] = await http.post(decline, data={"choice": "decline"})  # after the decision
            p.seen["sam-no"] = await p.texts("sam", "no")
            await late_answers(p)
            p.seen["zoe-moved"] = await http.get(links(harness, "zoe")[2])
            return p.seen

    return asyncio.run(play())
