"""Crash the flow process at each boundary, recover, and check nobody received anything twice.

``SECONDROUND_FAULT_CRASH_AT=<step>:before|after|noted`` (sandbox only) kills the run's process
once at that point, like a worker dying: ``before`` the peer saw the effect, ``after`` the peer
took it but before we recorded anything, ``noted`` (email) after the mail journal recorded it
but before Prefect persisted the result. Recovery is what an operator does: "Retry" in the UI
(the same run), or a fresh run of the deployment with the same parameters.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.states import Scheduled

from flows.models import CallbackResult, Decision, Outcome, Reply, ReplyChannel
from sandbox.harness import Harness, crashed
from sandbox.rounds import candidate, round_data

pytestmark = pytest.mark.stack
ROUND = "crash"
CRASH_AT = {
    "k1": "call:before",
    "k2": "call:after",
    "k3": "voicemail:after",
    "k4": "email:before",
    "k5": "email:after",
    "k6": "sms:after",
    "k7": "hold-room-try1:after",
    "k8": "confirmation:after",  # after her reply ended a wait: the retry must not wait again
    "k9": "email:after",  # recovered by a fresh run instead of a retry
    "k10": "email:noted",  # the server took it and we noted it: the retry sends nothing
}
GRACE_SECONDS = 10
DAYS = dict(zip(CRASH_AT, (7, 8, 9, 10, 11, 14, 15, 16, 17, 18), strict=True))


def processes_of(run_id: UUID) -> int:
    """Processes still executing this run on this machine."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    count = 0
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            count += needle in environ.read_bytes()
        except OSError:
            continue
    return count


async def retry(run_id: UUID) -> None:
    """What the UI's Retry button sends, once the worker is done with the crashed process.

    Prefect reports a crashed process twice, from the runner and then from the worker, which
    proposes Crashed whatever the state is by then: a retry sent in between is overwritten.
    An operator sees the run still crashed and clicks again; so do we.
    """
    while processes_of(run_id):
        await asyncio.sleep(0.5)
    await asyncio.sleep(GRACE_SECONDS)
    async with get_client() as client:
        for _ in range(5):
            await client.set_flow_run_state(run_id, Scheduled(name="AwaitingRetry", message="Retry from the UI"))
            for _ in range(120):
                await asyncio.sleep(0.5)
                state = (await client.read_flow_run(run_id)).state
                if state is not None and (state.is_running() or state.is_paused() or state.is_completed()):
                    return
                if state is not None and state.is_crashed():
                    break
        raise AssertionError(f"run {run_id} would not restart")


@pytest.fixture(scope="module")
def recovered(harness: Harness) -> dict[str, tuple[CallbackResult, UUID, UUID]]:
    people = [candidate(cid, day=DAYS[cid], sms=True) for cid in CRASH_AT]
    calls = {cid: ["voicemail"] for cid in CRASH_AT}
    data = round_data(ROUND, people)
    data["cadence"]["reply_window"] = "P30D"  # about 4 min here: the test's reply, not the deadline, decides
    round_ = harness.round(data, calls)

    async def play() -> dict[str, tuple[CallbackResult, UUID, UUID]]:
        first = {
            cid: await harness.start(round_, cid, env={"SECONDROUND_FAULT_CRASH_AT": point})
            for cid, point in CRASH_AT.items()
        }
        reply = Reply(decision=Decision.confirm, channel=ReplyChannel.link)
        await harness.reply_when_waiting(ROUND, "k8", reply)  # k8 crashes only after her reply
        await harness.wait(list(first.values()), until=crashed, timeout=300)
        final = dict(first)
        final["k9"] = await harness.start(round_, "k9")
        await asyncio.gather(*(retry(run_id) for cid, run_id in first.items() if cid != "k9"))
        await asyncio.gather(*(harness.reply_when_waiting(ROUND, cid, reply) for cid in CRASH_AT if cid != "k8"))
        await harness.wait(list(final.values()), timeout=300)
        return {cid: (await harness.result(final[cid]), first[cid], final[cid]) for cid in CRASH_AT}

    return asyncio.run(play())


@pytest.mark.parametrize("cid", list(CRASH_AT))
def test_recovers_and_sends_nothing_twice(
    recovered: dict[str, tuple[CallbackResult, UUID, UUID]], harness: Harness, cid: str
) -> None:
    result, _, _ = recovered[cid]
    assert result.outcome is Outcome.confirmed
    effects = harness.effects(ROUND, cid)
    step, when = CRASH_AT[cid].split(":")
    repeated = {e.key.split(".")[-1] for e in effects if e.tries > 1}
    # a crash after the peer took an email makes us hand it over again and its Message-ID dedupes
    # it; Twilio has no such key, so for the call and the SMS we look first, and a voicemail for a
    # call that has ended is refused (21220): none of the three reaches Twilio twice
    handed_twice = when == "after" and step not in {"call", "voicemail", "sms"} and not step.startswith("hold")
    # the confirmation goes out together with the staff briefings: the crash may also catch a
    # briefing in flight (accepted, not yet noted), handed over again under the same Message-ID
    steps = {e.key.split(".")[-1] for e in effects}
    in_flight = {s for s in steps if s.startswith("briefing-")} if step == "confirmation" else set()
    assert (step in repeated) == handed_twice
    assert repeated <= ({step} | in_flight if handed_twice else set())
    received = [f"{e.attempt}.{e.key.split('.')[-1]}" for e in effects if e.attempt == 1]
    expected = ["1.call", "1.voicemail", "1.email", "1.sms"]
    if step == "call" and when == "after" and "1.voicemail" not in received:
        # recovered after her machine stopped recording (3 min; the retry waits its turn for a
        # worker slot): the voicemail is refused on the ended call, and no second call is made
        voicemail = next(line for line in result.timeline if line.step == "voicemail")
        assert "voicemail not left" in voicemail.detail
        expected.remove("1.voicemail")
    assert received == expected
    assert sum(1 for e in effects if e.key.endswith(".0.confirmation")) == 1
    assert harness.holds(ROUND, cid) == ["CONFIRMED"] * 3


def test_a_fresh_run_takes_over_from_a_crashed_one(recovered: dict[str, tuple[CallbackResult, UUID, UUID]]) -> None:
    _, crashed_run, fresh_run = recovered["k9"]
    assert crashed_run != fresh_run

    async def state() -> str | None:
        async with get_client() as client:
            run = await client.read_flow_run(crashed_run)
        return run.state.name if run.state else None

    assert asyncio.run(state()) == "Crashed"
