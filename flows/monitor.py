"""stuck-candidates: find candidates whose run is stuck, tell the recruiter, show them in a table.

Scheduled in ``prefect.yaml`` (and started by the proactive automation there when a candidate
was held but neither confirmed nor released in time). It reads the open candidate-callback runs,
their pending reply timers and their slots, and applies the rules of ``flows/ops/stuck.py``. For each
stuck candidate it emits ``secondround.candidate.stuck`` (every time: she is still stuck) and
emails the recruiter once per candidate and reason (the effect key). Two kinds heal instead: a
crashed run is taken over while her budget lasts (``flows/takeover.py``), and a timer that was
due and did not fire (its run died in a retry, crashed, or could not resume her) is fired by the
check itself (``flows.deadline.fire``). Publishes the table artifact ``stuck-candidates``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from prefect import flow, get_client, get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.events import emit_event
from prefect.input.actions import aread_flow_run_input
from prefect.states import Crashed
from pydantic import BaseModel, Field

from flows.deadline import DeadlineRequest, fire
from flows.deployments import candidate_tag, round_tag
from flows.messages.render import recruiter_email
from flows.models import CallbackRequest, Slot
from flows.ops.dashboard import refresh_all
from flows.ops.stuck import Limits, Reason, RunFacts, Stuck, diagnose
from flows.replies import SLOT
from flows.takeover import take_over
from tasks.claims import DEAD
from tasks.effects import candidate_resource
from tasks.mail import send_email

OPEN = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED, StateType.CANCELLING]
BROKEN = sorted(DEAD - {StateType.CANCELLED})  # a cancelled run was an operator's choice, not a fault
PAGE = 200


class StuckRequest(BaseModel):
    round_ids: list[str] = Field(default_factory=list, description="Rounds to check; empty checks every round")
    limits: Limits = Field(default_factory=Limits, description="When a candidate counts as stuck")
    email_recruiter: bool = Field(default=True, description="Email each round's recruiter (once per candidate)")
    take_over: bool = Field(
        default=True,
        description="Start a fresh run where a crashed one stopped (at most 3 per candidate) and fire a timer"
        " that died, instead of an email",
    )


async def _runs(flow_name: str, states: list[StateType], tags: list[str]) -> list[FlowRun]:
    runs: list[FlowRun] = []
    async with get_client() as client:
        while True:
            page = await client.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states)),
                    tags=FlowRunFilterTags(all_=tags) if tags else None,
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=PAGE,
                offset=len(runs),
            )
            runs += page
            if len(page) < PAGE:
                return runs


async def _superseded(run: FlowRun, request: CallbackRequest) -> bool:
    """A crashed or failed run that a newer run of hers took over is history, not a problem."""
    theirs = await _runs("candidate-callback", list(StateType), [candidate_tag(request.round.id, request.candidate.id)])
    return any(r.id != run.id and r.created and run.created and r.created > run.created for r in theirs)


async def _interview(run: FlowRun, request: CallbackRequest) -> datetime | None:
    """Her held slot's start (shared by her run once held), else the round's planned one."""
    held = await aread_flow_run_input(SLOT, flow_run_id=run.id)
    slot = Slot.model_validate(held) if held else request.proposed
    return slot.start if slot else None


async def gather_facts(round_ids: list[str]) -> list[tuple[RunFacts, CallbackRequest]]:
    """The latest open run of every candidate with a problem-shaped state, and its timer and slot."""
    tags_per_round = [[round_tag(r)] for r in round_ids] or [["secondround"]]
    facts = []
    for tags in tags_per_round:
        timers = {  # every timer, live or dead, by the run and wait it is for (the newest wins)
            (r.parameters["request"]["flow_run_id"], r.parameters["request"]["pause_key"]): r
            for r in await _runs("reply-deadline", list(StateType), tags)
        }
        for run in await _runs("candidate-callback", OPEN + BROKEN, tags):
            request = CallbackRequest.model_validate(run.parameters["request"])
            state = run.state
            if state is None or (state.type in BROKEN and await _superseded(run, request)):
                continue
            pause_key = state.state_details.pause_key or ""
            timer = timers.get((str(run.id), pause_key))
            facts.append(
                (
                    RunFacts(
                        round_id=request.round.id,
                        candidate_id=request.candidate.id,
                        flow_run_id=str(run.id),
                        state_type=state.type.value,
                        state_name=state.name or state.type.value,
                        since=state.timestamp,
                        pause_key=pause_key,
                        deadline=timer.expected_start_time if timer else None,
                        timer_state=(timer.state_name or "") if timer else "",
                        interview=await _interview(run, request),
                    ),
                    request,
                )
            )
    return facts


async def _tell(stuck: Stuck, request: CallbackRequest, *, email: bool) -> None:
    facts = stuck.facts
    emit_event(
        event="secondround.candidate.stuck",
        resource={
            "prefect.resource.id": candidate_resource(facts.round_id, facts.candidate_id),
            "prefect.resource.name": facts.candidate_id,
        },
        related=[{"prefect.resource.id": f"prefect.flow-run.{facts.flow_run_id}", "prefect.resource.role": "flow-run"}],
        payload={"round": facts.round_id, "reason": stuck.reason.name, "detail": stuck.detail},
    )
    if email:
        step = f"stuck-{stuck.reason.name}"
        key = request.key(step)
        detail = f"Her run {facts.flow_run_id} is {stuck.reason.value}: {stuck.detail}. Please look at it in Prefect."
        message = recruiter_email(request.round, request.candidate, f"stuck: {stuck.reason.value}", detail)
        await send_email(key, message, to_candidate=False)


async def _heal(stuck: Stuck, callback: CallbackRequest, *, request: StuckRequest) -> str | None:
    """Mend what needs no person: take a crashed run over, fire a dead timer; what was done."""
    facts = stuck.facts
    if not request.take_over:
        return None
    if stuck.reason is Reason.never_started:  # nothing runs it: crash it, then as any crashed run
        async with get_client() as client:
            await client.set_flow_run_state(UUID(facts.flow_run_id), Crashed(message=stuck.detail), force=True)
    if stuck.reason in {Reason.crashed, Reason.never_started}:
        return await take_over(callback, crashed_run_id=facts.flow_run_id)
    if stuck.reason is Reason.dead_timer:
        timer = DeadlineRequest(
            flow_run_id=facts.flow_run_id,
            pause_key=facts.pause_key,
            round_id=facts.round_id,
            candidate_id=facts.candidate_id,
        )
        return f"fired by this check: {await fire(timer)}"
    return None


@flow(name="stuck-candidates", persist_result=True)
async def stuck_candidates(request: StuckRequest) -> list[Stuck]:
    now = datetime.now(timezone.utc)
    # a large round's table is rebuilt at most every few seconds by its runs: bring it up to date
    rebuilt = await refresh_all()
    found = []
    for facts, callback in await gather_facts(request.round_ids):
        stuck = diagnose(facts, now=now, limits=request.limits)
        if stuck is not None:
            taken = await _heal(stuck, callback, request=request)
            found.append(stuck.model_copy(update={"detail": f"{stuck.detail}; {taken}"}) if taken else stuck)
            if taken is None:  # nothing took over: a person is needed
                await _tell(stuck, callback, email=request.email_recruiter)
    rows = [
        {
            "round": s.facts.round_id,
            "candidate": s.facts.candidate_id,
            "reason": s.reason.value,
            "detail": s.detail,
            "state": s.facts.state_name,
            "flow run": s.facts.flow_run_id,
        }
        for s in found
    ]
    await acreate_table_artifact(
        key="stuck-candidates", table=rows or [{"round": "-", "candidate": "nobody is stuck"}], description="Stuck"
    )
    get_run_logger().info("%d stuck candidate(s); %d round table(s) brought up to date", len(found), rebuilt)
    return found
