"""Ownership of a candidate: two runs racing for the same candidate must not both act.

The first run to claim a candidate owns her. A later run takes over only when the owner is dead
(crashed, failed, cancelled or gone: ``DEAD``); otherwise it is a duplicate and stops before any side
effect. On one machine the claim is a file guarded by ``flock``, which the kernel releases when a
holder dies, so a crash never leaves a stale lock; several machines share a row per candidate in
PostgreSQL (``SECONDROUND_STATE_URL``), locked ``FOR UPDATE`` in a transaction that a dead
holder's lost connection rolls back. Her second chance (an answer after her run released her)
claims her after a run that has ended: ``after_ended`` counts a completed owner as done too.
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
from tasks.clients.shared_state import shared

DEAD = frozenset({StateType.CRASHED, StateType.FAILED, StateType.CANCELLED})
"""A run in one of these states does nothing more: another run may take over her claim, and
rerun-candidate may replace it. ``CANCELLING`` is not dead yet: its process may still be acting
until its worker has stopped it (the stuck-candidates monitor flags one that stays so)."""


class Claim(BaseModel):
    owner: str
    mine: bool
    took_over_from: str | None = None


async def _alive(run_id: str, *, after_ended: bool) -> bool:
    async with get_client() as client:
        try:
            run = await client.read_flow_run(UUID(run_id))
        except ObjectNotFound:
            return False
    if run.state is None or run.state.type in DEAD:
        return False
    return not (after_ended and run.state.is_final())


async def _decide(owner: str | None, run_id: str, *, previous: str | None, after_ended: bool) -> Claim:
    if owner == run_id:  # a replay of the owner: still says whom it took over from
        return Claim(owner=run_id, mine=True, took_over_from=previous)
    if owner is not None and await _alive(owner, after_ended=after_ended):
        return Claim(owner=owner, mine=False)
    return Claim(owner=run_id, mine=True, took_over_from=owner)


async def _claim_in_file(round_id: str, candidate_id: str, *, run_id: str, after_ended: bool) -> Claim:
    path = get_settings().state_dir / "claims" / f"{round_id}.{candidate_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        handle.seek(0)
        stored = json.loads(handle.read() or "{}")
        owner = stored.get("owner")
        claim = await _decide(owner, run_id, previous=stored.get("previous"), after_ended=after_ended)
        if claim.mine and owner != run_id:
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"owner": run_id, "previous": owner}))
            handle.flush()
        return claim


async def _claim_in_database(url: str, round_id: str, candidate_id: str, *, run_id: str, after_ended: bool) -> Claim:
    where = "where round_id = $1 and candidate_id = $2"
    async with shared(url).connection() as db, db.transaction():
        await db.execute(
            "insert into claims (round_id, candidate_id, owner) values ($1, $2, '') on conflict do nothing",
            round_id,
            candidate_id,
        )
        row = await db.fetchrow(f"select owner, previous from claims {where} for update", round_id, candidate_id)
        owner = row["owner"] or None
        claim = await _decide(owner, run_id, previous=row["previous"], after_ended=after_ended)
        if claim.mine and owner != run_id:
            update = f"update claims set owner = $3, previous = $4 {where}"
            await db.execute(update, round_id, candidate_id, run_id, owner)
        return claim


async def claim_candidate(round_id: str, candidate_id: str, *, run_id: str, after_ended: bool = False) -> Claim:
    url = get_settings().state_url
    if url:
        return await _claim_in_database(url, round_id, candidate_id, run_id=run_id, after_ended=after_ended)
    return await _claim_in_file(round_id, candidate_id, run_id=run_id, after_ended=after_ended)
