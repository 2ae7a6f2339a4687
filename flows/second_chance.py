"""Her second chance: she answers after her run released her unanswered.

She stayed silent through every attempt, her slot was freed (and offered to the waitlist), and
then she texts YES, clicks "I will come" or asks for another time. Where the round allows it
(``changes.second_chance``, a move left) she is offered the times still free instead of only
being told that hers has gone: ``start_second_chance`` (from ``web/late.py``) starts her a new
candidate-callback run with ``second_chance`` set, once (its idempotency key).

That run claims her after the first one, which has ended; carries the first run's timeline on
(``first-run``); skips the calls and goes straight to picking another time, as her move 1
(``flows/rebooking.py``), so every key it uses is new (``1.offer-1``, ``hold-room-move1-try1``,
``outcome-move1``): nothing of the first run is recalled, repeated or undone. She picks: the
time is held, confirmed and followed through to the day like any other. No time is free, or she
picks none in time: the recruiter is told (``rescheduling``) with her wishes.
Events: ``secondround.candidate.second-chance``, then those of picking and settling.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from prefect import get_client, task
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from prefect.client.schemas.objects import FlowRun

from flows.aftercare import follow_through
from flows.deployments import start_callback
from flows.logistics import Booking
from flows.models import CallbackRequest, CallbackResult, Decision, Outcome, Reply
from flows.rebooking import let_her_pick
from flows.replies import Standing
from flows.settle import settle
from flows.timeline import Timeline
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done

WANTS_TO_COME = frozenset({Decision.confirm, Decision.another_time})


class FirstRun(Done):
    """Her first run's timeline, read once when her second chance starts."""

    lines: list[Done]


def deserves_second_chance(where: Standing, reply: Reply) -> bool:
    """Whether a late answer gets the times still free: her run released her unanswered (not a
    second chance already), she wants to come, and the round lets her pick herself."""
    changes = where.request.round.changes
    return (
        where.decided
        and where.outcome is Outcome.released
        and where.request.second_chance is None
        and reply.decision in WANTS_TO_COME
        and changes.second_chance
        and changes.max_moves > 0
    )


async def start_second_chance(where: Standing, reply: Reply) -> FlowRun:
    """Her second-chance run, created once whatever answers late and however often."""
    request = where.request.model_copy(update={"second_chance": reply, "redo_from": None, "proposed": None})
    return await start_callback(request, tags=("second-chance",), purpose="second-chance")


async def second_chance(request: CallbackRequest, timeline: Timeline, *, run_id: str) -> CallbackResult:
    """From her late answer: the times still free, her pick held and confirmed, then her day."""
    assert request.second_chance is not None
    first = await first_run(request.key("first-run"), request=request)
    timeline.add(*first.lines, first)
    ask = request.second_chance.model_copy(update={"decision": Decision.another_time})
    booking, reply, moves = await let_her_pick(request, Booking(), ask, timeline, run_id=run_id)
    outcome = Outcome.confirmed if moves else Outcome.rescheduling
    attempts = request.round.cadence.attempts  # every attempt of her first run went unanswered
    result = await settle(request, booking, reply, timeline, outcome=outcome, attempts=attempts, move=1)
    return await follow_through(request, booking, result, timeline, run_id=run_id, moves=moves)


@task(name="first-run", cache_policy=BY_BUSINESS_KEY)
async def first_run(key: EffectKey, *, request: CallbackRequest) -> FirstRun:
    """Her first run's timeline (its latest artifact), so that hers tells the whole story."""
    assert request.second_chance is not None
    artifact_key = f"timeline-{request.round.id}-{request.candidate.id}"
    async with get_client() as client:
        latest = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[artifact_key])), limit=1
        )
    data = latest[0].data if latest else []
    rows = json.loads(data) if isinstance(data, str) else data or []
    lines = [_line(row) for row in rows if isinstance(row, dict) and row.get("step")]
    late = request.second_chance
    detail = f"answered {late.decision.value} by {late.channel.value} after her run released her: offering the times"
    return FirstRun(**done(key, f"{detail} still free", event="second-chance").model_dump(), lines=lines)


def _line(row: dict[str, object]) -> Done:
    at = datetime.strptime(str(row["at (UTC)"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return Done(step=str(row["step"]), attempt=int(str(row["attempt"])), at=at, detail=str(row["what happened"]))
