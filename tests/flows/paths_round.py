"""The paths round for ``test_paths.py``: twelve candidates, one path each (their sandbox scripts
in ``CALLS``, their later replies in ``LATER``), run at once on the live stack."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from uuid import UUID

from prefect import get_client
from prefect.exceptions import PrefectHTTPStatusError
from prefect.flow_runs import aresume_flow_run

from flows.models import CallbackResult, Decision, Reply, ReplyChannel
from flows.replies import deliver_reply, waits_for_reply
from sandbox.harness import Harness
from sandbox.rounds import asleep_zone, candidate, round_data

ROUND = "paths"
CALLS = {
    "ann": ["answer-confirm"],
    "ben": ["answer-decline"],
    "cat": ["voicemail"],
    "dan": ["no-answer", "no-answer"],
    "eve": ["voicemail", "voicemail"],
    "fay": ["no-answer", "answer-confirm"],
    "gus": ["answer-recruiter"],
    "hal": ["busy"],
    "ida": ["voicemail"],  # her deadline resumes the run a moment before her reply arrives
    "jan": ["answer-confirm"],  # free for calls only from tomorrow 10:00: the run waits for it
    "kim": [],  # her call times are over: email only
    "lea": ["invalid-number"],  # Twilio refuses her number: email only, and no SMS
    "mia": [],  # no consent to a recorded voice: no call; it is night where she lives: texts wait for morning
}
LATER = {
    "cat": Reply(decision=Decision.confirm, channel=ReplyChannel.link),
    "gus": Reply(
        decision=Decision.confirm,
        channel=ReplyChannel.recruiter,
        enthusiasm=4,
        professionalism=5,
        questions="Is there parking? Two visitor spaces.",
        for_panel="Vegetarian lunch, please",
        notes="keen",
    ),
    "hal": Reply(decision=Decision.decline, channel=ReplyChannel.sms),
    "kim": Reply(decision=Decision.confirm, channel=ReplyChannel.link),
    "lea": Reply(decision=Decision.confirm, channel=ReplyChannel.link),
}
TOMORROW = date.today() + timedelta(days=1)
LAST_WEEK = date.today() - timedelta(days=7)


async def race(run_id: UUID) -> None:
    """The deadline wins the resume while her confirmation is already in the inbox: the service
    stored it a moment too late to be the resume itself. Storing it first, then resuming with
    "no reply", keeps the race's outcome fixed whatever the load (the run's own 8-second deadline
    may win instead of ours: the same race)."""
    await wait_for_reply_wait(run_id)
    await deliver_reply(ROUND, "ida", Reply(decision=Decision.confirm, channel=ReplyChannel.link), patience=0)
    async with get_client() as client:
        while (state := (await client.read_flow_run(run_id)).state) and state.is_paused():
            try:  # SQLite answers 503 while busy; the real deadline run retries the same way
                await aresume_flow_run(run_id, run_input={"decision": "no_reply", "channel": "deadline"})
            except PrefectHTTPStatusError as error:
                if error.response.status_code != 503:
                    raise
                await asyncio.sleep(2)
            except RuntimeError:
                return  # resumed by her real deadline first


async def wait_for_reply_wait(run_id: UUID) -> None:
    async with get_client() as client:
        while not waits_for_reply(await client.read_flow_run(run_id)):
            await asyncio.sleep(1)


def play_paths(harness: Harness) -> dict[str, CallbackResult]:
    """Every candidate of the paths round at once; some reply later, ida races her deadline."""
    people = [
        candidate("ann", day=7),
        candidate("ben", day=8, email="ben+bounce@mail.example"),  # the mail server refuses his address
        candidate("cat", day=9, sms=True),
        candidate("dan", day=10, voice=False),
        candidate("eve", day=11, voice=False),
        candidate("fay", day=14),
        candidate("gus", day=15),
        candidate("hal", day=16, sms=True),
        candidate("ida", day=17),
        candidate(
            "jan",
            day=18,
            time_zone="Europe/London",
            call_times=[{"start": f"{TOMORROW}T10:00", "end": f"{TOMORROW}T12:00"}],
        ),
        candidate("kim", day=22, sms=True, call_times=[{"start": f"{LAST_WEEK}T10:00", "end": f"{LAST_WEEK}T12:00"}]),
        candidate("lea", day=23, sms=True),
        candidate("mia", day=24, voice=False, sms=True, time_zone=asleep_zone()),
    ]
    round_ = harness.round(round_data(ROUND, people), CALLS)

    async def play() -> dict[str, CallbackResult]:
        ids = {cid: await harness.start(round_, cid) for cid in CALLS}
        await asyncio.gather(
            *(harness.reply_when_waiting(ROUND, cid, reply) for cid, reply in LATER.items()), race(ids["ida"])
        )
        await harness.wait(list(ids.values()), timeout=300)
        return {cid: await harness.result(run_id) for cid, run_id in ids.items()}

    return asyncio.run(play())
