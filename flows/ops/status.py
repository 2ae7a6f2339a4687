"""Where a round stands: each candidate's callback run, its state and, once decided, its result."""

from __future__ import annotations

from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from pydantic import BaseModel

from flows.deployments import round_tag
from flows.models import CallbackResult


class CandidateStatus(BaseModel):
    candidate_id: str
    flow_run_id: str
    state: str
    final: bool
    result: CallbackResult | None = None


async def callback_runs(round_id: str) -> list[FlowRun]:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["candidate-callback"])),
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[round_tag(round_id)])),
            sort=FlowRunSort.START_TIME_ASC,
            limit=200,
        )


async def round_status(round_id: str) -> list[CandidateStatus]:
    statuses = []
    for run in await callback_runs(round_id):
        state = run.state
        result = None
        if state is not None and state.is_completed():
            value = await state.aresult()  # persisted by the flow (persist_result=True)
            result = value if isinstance(value, CallbackResult) else None
        candidate = run.parameters["request"]["candidate"]["id"]
        statuses.append(
            CandidateStatus(
                candidate_id=candidate,
                flow_run_id=str(run.id),
                state=state.name if state else "unknown",
                final=bool(state and state.is_final()),
                result=result,
            )
        )
    return statuses
