"""What reached a candidate's runs, read from any of them: nothing she said is lost in a takeover.

``web/`` stores what arrives for her on her run as Prefect run inputs: her replies, the keypad
digits she pressed, a call leg's sid, the recruiter's whisper key and voicemail choice. A run that
takes over from a dead one (``rerun-candidate``, a crash's takeover) is a new run: it reads each
input from itself first and then from every earlier candidate-callback run of hers, newest first,
so a key pressed or a reply given to the run that was killed counts. Her earlier runs are looked
up once per process (they do not change: they are older), and a first run has none.

``resume_waiting`` resumes a suspended run with an input, mending first what a run killed while
suspending leaves behind: Prefect records the Suspended state before the input's schema, and
without the schema every resume with an input is refused ("Run input schema not found").
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.sorting import FlowRunSort
from prefect.flow_runs import aresume_flow_run
from prefect.input.actions import aread_flow_run_input
from prefect.input.run_input import Keyset, run_input_subclass_from_type
from pydantic import BaseModel

CANDIDATE_TAG = "candidate:"  # flows.deployments.candidate_tag
CALLBACK_FLOW = "candidate-callback"
_earlier: dict[UUID, list[UUID]] = {}


async def earlier_runs(run_id: UUID) -> list[UUID]:
    """Her candidate-callback runs older than ``run_id``, newest first."""
    if run_id not in _earlier:
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
            tags = [tag for tag in run.tags if tag.startswith(CANDIDATE_TAG)]
            runs = (
                await client.read_flow_runs(
                    flow_filter=FlowFilter(name=FlowFilterName(any_=[CALLBACK_FLOW])),
                    flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=tags)),
                    sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                    limit=20,
                )
                if tags
                else []
            )
        mine = run.expected_start_time
        _earlier[run_id] = [
            r.id
            for r in runs
            if r.id != run_id and (mine is None or r.expected_start_time is None or r.expected_start_time <= mine)
        ]
    return _earlier[run_id]


async def read_input(key: str, *, run_id: UUID) -> Any | None:
    """The input stored under ``key`` on this run, else on her newest earlier run that has it."""
    found = await aread_flow_run_input(key, flow_run_id=run_id)
    if found is not None:
        return found
    for earlier in await earlier_runs(run_id):
        found = await aread_flow_run_input(key, flow_run_id=earlier)
        if found is not None:
            return found
    return None


async def inputs_with_prefix(prefix: str, *, run_id: UUID) -> list[tuple[str, str]]:
    """Every input whose key starts with ``prefix`` on this run and her earlier ones, as (created
    time, value), oldest first; the same key stored on two runs counts once."""
    found: dict[str, tuple[str, str]] = {}
    async with get_client() as client:
        for run in [run_id, *await earlier_runs(run_id)]:
            for item in await client.filter_flow_run_input(run, key_prefix=prefix, limit=50, exclude_keys=set()):
                found.setdefault(item.key, (str(item.created), item.value))
    return sorted(found.values())


async def resume_waiting(run_id: UUID, run_input: BaseModel) -> bool:
    """Resume the run suspended for an input of ``run_input``'s type; True when its input schema
    had to be restored first (its process died between suspending and saving it)."""
    async with get_client() as client:
        run = await client.read_flow_run(run_id)
    keyset = run.state.state_details.run_input_keyset if run.state else None
    restored = False
    if keyset is not None and await aread_flow_run_input(keyset["schema"], flow_run_id=run_id) is None:
        await run_input_subclass_from_type(type(run_input)).asave(cast(Keyset, keyset), flow_run_id=run_id)
        restored = True
    await aresume_flow_run(run_id, run_input=run_input.model_dump(mode="json"))
    return restored
