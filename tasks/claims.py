"""Ownership of a candidate: two runs racing for the same candidate must not both act.

The first run to claim a candidate owns her. A later run takes over only when the owner is dead
(crashed, failed, cancelled or gone: ``DEAD``); otherwise it is a duplicate and stops before any side
effect. The claim file is guarded by ``flock``, which the kernel releases when a holder dies, so
a crash never leaves a stale lock. (Several hosts need a shared database instead: issue 7.)
"""

from __future__ import annotations

import asyncio
import fcntl
import json
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.exceptions import ObjectNotFound
from pydantic import BaseModel

from config.settings import get_settings

DEAD = frozenset({StateType.CRASHED, StateType.FAILED, StateType.CANCELLED})
"""A run in one of these states does nothing more: another run may take over her claim, and
rerun-candidate may replace it. ``CANCELLING`` is not dead yet: its process may still be acting
until its worker has stopped it (the stuck-candidates monitor flags one that stays so)."""


class Claim(BaseModel):
    owner: str
    mine: bool
    took_over_from: str | None = None


async def _alive(run_id: str) -> bool:
    async with get_client() as client:
        try:
            run = await client.read_flow_run(UUID(run_id))
        except ObjectNotFound:
            return False
    return run.state is not None and run.state.type not in DEAD


async def claim_candidate(round_id: str, candidate_id: str, *, run_id: str) -> Claim:
    path = get_settings().state_dir / "claims" / f"{round_id}.{candidate_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        handle.seek(0)
        owner = json.loads(handle.read() or "{}").get("owner")
        if owner == run_id:
            return Claim(owner=run_id, mine=True)
        if owner is not None and await _alive(owner):
            return Claim(owner=owner, mine=False)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"owner": run_id, "previous": owner}))
        handle.flush()
        return Claim(owner=run_id, mine=True, took_over_from=owner)
