"""rerun-candidate: an operator's fresh run for a candidate whose run died (crashed, failed or
cancelled), from the Prefect UI's form: round, candidate, and from which step.

The fresh run takes over her claim and replays her record: every step that completed comes back
from its persisted result, so it continues where the dead run stopped. With a step chosen, the
contacts from that step on (call, voicemail, email, SMS of that attempt and later) are not taken
from their records but checked against their peers again: Twilio's call log and message log, the
mail journal, the call's state. One that happened is never repeated; one that did not (a refused
email, a failed text, whose cause the operator fixed) happens now. A run that is alive or decided
is not rerun: the form says why. Emits ``secondround.candidate.rerun``.
"""

from __future__ import annotations

from enum import StrEnum

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State, StateType
from prefect.events import emit_event
from pydantic import BaseModel, Field

from config.errors import RerunRefusedError
from flows.deployments import start_callback
from flows.models import CallbackRequest, Contact, RedoFrom
from flows.replies import candidate_runs
from tasks.claims import DEAD
from tasks.effects import candidate_resource


class RerunFrom(StrEnum):
    where_it_stopped = "where-it-stopped"
    call = "call"
    voicemail = "voicemail"
    email = "email"
    sms = "sms"


class RerunRequest(BaseModel):
    round_id: str = Field(description="The round, e.g. backend-2026-12")
    candidate_id: str = Field(description="The candidate, e.g. alice-moreau")
    from_step: RerunFrom = Field(
        default=RerunFrom.where_it_stopped,
        description="Where it stopped: continue from her record. A contact step: check that step and every "
        "later one against its peer again (none that happened is repeated)",
    )
    attempt: int = Field(default=1, ge=1, le=5, description="The attempt the chosen step belongs to")


@flow(name="rerun-candidate", persist_result=True)
async def rerun_candidate(request: RerunRequest) -> str:
    """Start her fresh candidate-callback run; returns its id."""
    runs = await candidate_runs(request.round_id, request.candidate_id)
    if not runs:
        raise RerunRefusedError(f"{request.candidate_id} in {request.round_id} has no run to rerun")
    latest = runs[0]
    state = latest.state
    if state is None or state.type not in DEAD:
        raise RerunRefusedError(f"{request.candidate_id}'s run {latest.name} is {_why_not(state)}")
    callback = CallbackRequest.model_validate(latest.parameters["request"])
    if request.from_step is not RerunFrom.where_it_stopped:
        redo = RedoFrom(attempt=request.attempt, step=Contact(request.from_step.value))
        callback = callback.model_copy(update={"redo_from": redo})
    run = await start_callback(callback, rerun_of=str(latest.id))
    emit_event(
        event="secondround.candidate.rerun",
        resource={"prefect.resource.id": candidate_resource(request.round_id, request.candidate_id)},
        payload={"from_step": request.from_step.value, "attempt": request.attempt, "replaces": str(latest.id)},
    )
    get_run_logger().info(
        "%s: fresh run %s replaces %s (%s)", request.candidate_id, run.name, latest.name, what_from(request)
    )
    return str(run.id)


def _why_not(state: State | None) -> str:
    if state is None:
        return "in no known state"
    if state.is_completed():
        return f"{state.name}: she is decided"
    if state.type is StateType.CANCELLING:
        return f"{state.name}: rerun her once it is Cancelled (its process may still be acting)"
    return f"{state.name}: it is alive: resume or cancel it first"


def what_from(request: RerunRequest) -> str:
    if request.from_step is RerunFrom.where_it_stopped:
        return "from where it stopped"
    return f"contacts checked again from attempt {request.attempt}'s {request.from_step.value}"
