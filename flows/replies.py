"""Delivering a reply to the run that waits for it: the one door for links, SMS, calls and tests.

A reply resumes the candidate's run if it is waiting for a reply (any attempt: an answer to the
first email still counts while she is undecided). If her run is busy between two waits (the
deadline just fired, say), delivery waits for the next wait instead of losing the answer. A run
that has decided is never resumed: a late reply raises ``NoWaitingRunError``, for the caller to
record and answer politely.
"""

from __future__ import annotations

import asyncio
import time

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import NotPausedError, PrefectHTTPStatusError
from prefect.flow_runs import aresume_flow_run

from config.errors import NoWaitingRunError
from flows.deployments import candidate_tag
from flows.models import Reply


async def candidate_runs(round_id: str, candidate_id: str) -> list[FlowRun]:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[candidate_tag(round_id, candidate_id)])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=50,
        )


def _waiting(run: FlowRun) -> bool:
    state = run.state
    return state is not None and state.is_paused() and (state.state_details.pause_key or "").startswith("reply-")


async def deliver_reply(round_id: str, candidate_id: str, reply: Reply, *, patience: float = 60.0) -> str:
    """Resume her waiting run with ``reply``; returns the run id."""
    give_up = time.monotonic() + patience
    while True:
        runs = await candidate_runs(round_id, candidate_id)
        waiting = next((r for r in runs if _waiting(r)), None)
        if waiting is not None:
            try:
                await aresume_flow_run(waiting.id, run_input=reply.model_dump(mode="json"))
                return str(waiting.id)
            except (NotPausedError, RuntimeError, PrefectHTTPStatusError):
                pass  # someone (the deadline) resumed it first: wait for its next wait
        elif not any(r.state is not None and not r.state.is_final() for r in runs):
            decided = ", ".join(sorted({str(r.state.name) for r in runs if r.state})) or "never started"
            raise NoWaitingRunError(f"{candidate_id} in {round_id} is not waiting for a reply ({decided})")
        if time.monotonic() > give_up:
            raise NoWaitingRunError(f"{candidate_id} in {round_id} did not reach a wait in {patience:.0f} s")
        await asyncio.sleep(0.5)
