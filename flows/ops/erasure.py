"""``secondround candidate erase ROUND CANDIDATE``: her personal data, removed from every store.

In turn (each says what it did, ``Erased``): her calendar bookings are redacted; in Prefect her
candidate-callback runs and every run they started (subflows, reply deadlines) are deleted, with
their inputs, states and logs; her timeline artifact (every version), her row, late answer and
opt-out variables go, and the round's table and analytics are rebuilt without her (their older
versions deleted); then the persisted results of her keys (and any that mention her) on this
machine's disk and in the shared results bucket when there is one, the inbox, the mail journal,
her claim and, in the sandbox, its ledger and outbox. Emails already delivered (a panel member's
day list names her) are in their readers' mailboxes, beyond our reach. Prefect's events cannot
be deleted: the report counts hers; they carry ids and kinds, never her name or contact, and
expire with the server's event retention. A run of hers still deciding is not erased (cancel it
first). Safe to run twice. Event: ``secondround.candidate.erased``.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from prefect import get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterParentFlowRunId,
)
from prefect.events import emit_event
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH
from pydantic import BaseModel, Field

from config.errors import ConfigError
from config.round import Candidate
from config.settings import get_settings
from flows.models import CallbackRequest
from flows.ops.dashboard import boards, her_variables, rebuild
from flows.ops.erasure_stores import (
    erase_bucket,
    erase_inbox,
    erase_journal_and_claim,
    erase_results,
    erase_sandbox,
    redact_calendars,
)
from flows.replies import candidate_runs
from tasks.effects import candidate_resource
from tasks.optouts import opt_out_name


class RetentionRequest(BaseModel):
    days: int = Field(
        default=180, ge=0, description="Erase candidates this many days after their round's last interview day"
    )
    dry_run: bool = Field(default=False, description="List who would be erased; erase nothing")
    as_of: date | None = Field(default=None, description="Count the days to this date instead of today (a preview)")


class RetentionResult(BaseModel):
    erased: dict[str, list[str]] = Field(default_factory=dict, description="Candidate ids erased (or due), by round")


@dataclass(frozen=True)
class Erased:
    store: str
    done: str


class StillDeciding(ConfigError):
    """Her run has not decided yet: erasing would pull the data from under it."""


async def erase(round_id: str, candidate_id: str) -> list[Erased]:
    """Erase her from every store; the report, one line per store."""
    runs = await candidate_runs(round_id, candidate_id)
    alive = [r for r in runs if r.state is not None and not r.state.is_final()]
    if alive:
        raise StillDeciding(
            f"{candidate_id} in {round_id}: run {alive[0].name} is {alive[0].state_name}; cancel it first"
        )
    request = CallbackRequest.model_validate(runs[0].parameters["request"]) if runs else None
    candidate = request.candidate if request else None
    report = [Erased("calendars", await redact_calendars(request.round, candidate_id))] if request else []
    report += await _prefect(round_id, candidate_id, [r.id for r in runs], candidate)
    settings = get_settings()
    report.append(
        Erased("results", erase_results(PREFECT_LOCAL_STORAGE_PATH.value(), f"{round_id}.{candidate_id}.", candidate))
    )
    report.append(Erased("results bucket", await erase_bucket(f"{round_id}.{candidate_id}.", candidate)))
    report.append(
        Erased("inbox", await erase_inbox(settings, round_id, candidate_id, candidate.phone if candidate else ""))
    )
    report.append(Erased("mail journal and claim", await erase_journal_and_claim(settings, round_id, candidate_id)))
    if settings.mode == "sandbox":
        report.append(Erased("sandbox", erase_sandbox(settings, round_id, candidate_id)))
    emit_event(
        event="secondround.candidate.erased",
        resource={"prefect.resource.id": candidate_resource(round_id, candidate_id)},
    )
    return report


async def _prefect(round_id: str, candidate_id: str, runs: list[UUID], candidate: Candidate | None) -> list[Erased]:
    async with get_client() as client:
        started = await _started_by(client, runs, candidate_id)
        for run_id in [*started, *runs]:
            with suppress(ObjectNotFound):  # gone already: erased before, or with its parent
                await client.delete_flow_run(run_id)
        artifacts = await _delete_artifacts(client, [f"timeline-{round_id}-{candidate_id}"])
        names = her_variables(round_id, candidate_id) + ([opt_out_name(candidate.phone)] if candidate else [])
        variables = 0
        for name in names:
            with suppress(ObjectNotFound):
                await client.delete_variable_by_name(name)
                variables += 1
        tables = await _delete_artifacts(client, [f"round-{round_id}", f"round-{round_id}-responses"])
    await _rebuild_without_her(round_id)
    return [
        Erased(
            "Prefect runs", f"{len(runs)} run(s) of hers and {len(started)} they started deleted (inputs, states, logs)"
        ),
        Erased(
            "Prefect artifacts",
            f"{artifacts} timeline version(s) deleted; the round's table rebuilt without her"
            f" ({tables} older version(s) deleted)",
        ),
        Erased("Prefect variables", f"{variables} of her row, late answer and opt-out deleted"),
        Erased(
            "Prefect events",
            "not deletable through Prefect's API: they carry ids, never her name or contact,"
            " and expire with the server's event retention",
        ),
    ]


async def _started_by(client: PrefectClient, runs: list[UUID], candidate_id: str) -> list[UUID]:
    """The subflow runs of her runs and her reply-deadline runs."""
    if not runs:
        return []
    children = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=runs)), limit=200
    )
    timers = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=f"deadline-{candidate_id}-")), limit=200
    )
    mine = {str(r) for r in runs}
    return [r.id for r in children] + [
        t.id for t in timers if str(t.parameters.get("request", {}).get("flow_run_id")) in mine
    ]


async def _delete_artifacts(client: PrefectClient, keys: list[str]) -> int:
    found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=keys)), limit=200)
    for artifact in found:
        await client.delete_artifact(artifact.id)
    return len(found)


async def _rebuild_without_her(round_id: str) -> None:
    for board in await boards():
        if board.round.id == round_id:
            await rebuild(board.round)
