"""rerun-candidate from the UI's form: for each step a rerun may start from, nothing that happened
is repeated; a run that is alive or decided is not rerun."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment
from prefect.states import Crashed

from flows.models import CallbackResult, Decision, Outcome, Reply, ReplyChannel
from flows.replies import deliver_reply
from sandbox.harness import Harness, crashed
from sandbox.rounds import candidate, round_data

pytestmark = pytest.mark.stack
ROUND = "rerun"
RERUN = "rerun-candidate/rerun-candidate"
# each dies just after its SMS went out (Twilio took it, we recorded nothing), then is rerun from
FROM = {"rc": "call", "rv": "voicemail", "re": "email", "rs": "sms", "rw": "where-it-stopped"}
DAYS = {"rc": 7, "rv": 8, "re": 9, "rs": 10, "rw": 11, "rd": 14, "ra": 15}


async def rerun(cid: str, from_step: str) -> FlowRun:
    request = {"round_id": ROUND, "candidate_id": cid, "from_step": from_step, "attempt": 1}
    return await arun_deployment(RERUN, parameters={"request": request}, timeout=240, as_subflow=False)


@pytest.fixture(scope="module")
def reran(harness: Harness) -> dict[str, Any]:
    people = [candidate(cid, day=day, sms=True) for cid, day in DAYS.items()]
    calls = {cid: ["voicemail"] for cid in DAYS} | {"rd": ["answer-confirm"]}
    data = round_data(ROUND, people)
    data["cadence"]["reply_window"] = "P30D"  # about 4 min here: the test's reply decides
    round_ = harness.round(data, calls)
    confirm = Reply(decision=Decision.confirm, channel=ReplyChannel.link)

    async def play() -> dict[str, Any]:
        crash = {"SECONDROUND_FAULT_CRASH_AT": "sms:after"}
        dying = {cid: await harness.start(round_, cid, env=crash) for cid in FROM}
        decided, alive = await harness.start(round_, "rd"), await harness.start(round_, "ra")
        await harness.wait(list(dying.values()), until=crashed, timeout=300)
        await harness.wait([decided], timeout=300)
        await Harness.waiting(ROUND, "ra")
        reruns = [rerun(cid, step) for cid, step in FROM.items()]
        runs = await asyncio.gather(*reruns, rerun("rd", "call"), rerun("ra", "email"))
        fresh = {
            cid: UUID(str(await run.state.aresult())) for cid, run in zip(FROM, runs[:-2], strict=True) if run.state
        }
        await asyncio.gather(*(harness.reply_when_waiting(ROUND, cid, confirm) for cid in [*FROM, "ra"]))
        await harness.wait([*fresh.values(), alive], timeout=300)
        results: dict[str, CallbackResult] = {cid: await harness.result(run_id) for cid, run_id in fresh.items()}
        return {"results": results, "dying": dying, "fresh": fresh, "refused": runs[-2:]}

    return asyncio.run(play())


@pytest.mark.parametrize("cid", list(FROM))
def test_a_rerun_from_each_step_repeats_nothing(reran: dict[str, Any], harness: Harness, cid: str) -> None:
    assert reran["fresh"][cid] != reran["dying"][cid]
    assert reran["results"][cid].outcome is Outcome.confirmed
    effects = harness.effects(ROUND, cid)
    received = [f"{e.attempt}.{e.key.split('.')[-1]}" for e in effects if e.attempt == 1]
    assert received == ["1.call", "1.voicemail", "1.email", "1.sms"]
    assert [e.key for e in effects if e.attempt == 1 and e.tries > 1] == []  # each reached her once
    assert sum(1 for e in effects if e.key.endswith(".0.confirmation")) == 1
    assert harness.holds(ROUND, cid) == ["CONFIRMED"] * 3


def test_the_redone_steps_looked_at_their_peers_again(reran: dict[str, Any]) -> None:
    details = {line.step: line.detail for line in reran["results"]["rc"].timeline if line.attempt == 1}
    assert "voicemail not left" in details["voicemail"]  # the call had ended: Twilio refused a second
    assert "not sent again" in details["email"]
    rw = {line.step: line.detail for line in reran["results"]["rw"].timeline if line.attempt == 1}
    assert "voicemail left" in rw["voicemail"]  # from where it stopped: its record, as it was


def test_a_run_alive_or_decided_is_not_rerun(reran: dict[str, Any], harness: Harness) -> None:
    decided, alive = reran["refused"]
    assert decided.state.is_failed() and "is Completed: she is decided" in decided.state.message
    assert alive.state.is_failed() and "alive: resume or cancel it first" in alive.state.message
    assert [e.key.split(".")[-1] for e in harness.effects(ROUND, "rd") if e.attempt == 1] == ["call"]


def test_a_reply_that_reached_a_run_that_died_is_read_by_the_run_that_takes_over(harness: Harness) -> None:
    """Her run waits for her reply; its machine is lost (the heartbeat automation marks it
    Crashed). She confirms on her page meanwhile: no run of hers is alive, so the reply is kept
    on the dead run; the run that takes over finds it and confirms her, contacting her again in
    no way."""
    data = round_data("takeover", [candidate("ora", day=16, sms=True)])
    data["cadence"]["reply_window"] = "P30D"  # about 4 min here: only her reply can decide
    round_ = harness.round(data, {"ora": ["voicemail"]})
    confirm = Reply(decision=Decision.confirm, channel=ReplyChannel.link)

    async def play() -> tuple[str, str, CallbackResult]:
        dead = await harness.start(round_, "ora")
        await Harness.waiting("takeover", "ora")
        async with get_client() as client:
            await client.set_flow_run_state(dead, Crashed(message="No heartbeat for 90 s"), force=True)
        stored_on = await deliver_reply("takeover", "ora", confirm, patience=5, key="takeover-ora-link")
        run = await arun_deployment(
            RERUN,
            parameters={"request": {"round_id": "takeover", "candidate_id": "ora"}},
            timeout=240,
            as_subflow=False,
        )
        fresh = UUID(str(await run.state.aresult())) if run.state else dead
        await harness.wait([fresh], timeout=240)
        return str(dead), stored_on, await harness.result(fresh)

    dead, stored_on, result = asyncio.run(play())
    assert stored_on == dead  # kept on the run that died, for the next one
    assert result.outcome is Outcome.confirmed and result.attempts == 1
    received = [e.key.split(".")[-1] for e in harness.effects("takeover", "ora") if e.attempt == 1]
    assert received == ["call", "voicemail", "email", "sms"]  # nothing sent twice
