"""Taking over a crashed candidate run without a person: the stuck-candidates check starts her
fresh run from where the crashed one stopped (as ``rerun-candidate`` does: every completed step
comes back from its record, and what reached the dead run is read from it), at most ``BUDGET``
times per candidate; then the recruiter is told, as before. A failed run is not taken over: it
failed on something a retry cannot mend. Event: ``secondround.candidate.taken-over``.
"""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, task
from prefect.events import emit_event
from prefect.exceptions import ObjectNotFound

from flows.deployments import start_callback
from flows.models import CallbackRequest
from flows.replies import candidate_runs
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, candidate_resource, done

BUDGET = 3
TAG = "takeover"


async def take_over(request: CallbackRequest, *, crashed_run_id: str) -> str | None:
    """Start her fresh run in place of ``crashed_run_id``; what to say of it, or None when her
    budget of takeovers is spent (a person is needed)."""
    round_id, candidate_id = request.round.id, request.candidate.id
    taken = sum(TAG in run.tags for run in await candidate_runs(round_id, candidate_id))
    if taken >= BUDGET:
        return None
    run = await start_callback(request, rerun_of=crashed_run_id, tags=(TAG,))  # keyed: once per crashed run
    emit_event(
        event="secondround.candidate.taken-over",
        resource={"prefect.resource.id": candidate_resource(round_id, candidate_id)},
        payload={"replaces": crashed_run_id, "run": str(run.id), "takeover": taken + 1, "budget": BUDGET},
    )
    return f"taken over by run {run.name} ({taken + 1} of {BUDGET})"


@task(name="note-takeover", cache_policy=BY_BUSINESS_KEY)
async def note_takeover(key: EffectKey, *, dead_run: str) -> Done:
    """Her timeline's line for a run that took over from a dead one, or from her first run that
    ended before her second chance (once: replays keep it)."""
    async with get_client() as client:
        try:
            state = (await client.read_flow_run(UUID(dead_run))).state
        except ObjectNotFound:  # gone (deleted): it can do nothing more either
            state = None
    if state is not None and state.is_completed():
        return done(key, f"took over from her first run {dead_run}, which had ended: her second chance")
    return done(key, f"took over from run {dead_run}, which died undecided: nothing it did is done again")
