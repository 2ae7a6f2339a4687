"""Names of the deployments declared in ``prefect.yaml``, and the tags that find a candidate's run."""

from __future__ import annotations

import hashlib

from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment

from flows.models import CallbackRequest

CALLBACK = "candidate-callback/candidate-callback"
DEADLINE = "reply-deadline/reply-deadline"
WORK_POOL = "secondround"


def round_tag(round_id: str) -> str:
    return f"round:{round_id}"


def candidate_tag(round_id: str, candidate_id: str) -> str:
    return f"candidate:{round_id}.{candidate_id}"


def phone_tag(phone: str) -> str:
    """Finds her runs from a text or a call back; a digest, so no number shows in the UI."""
    return "phone:" + hashlib.sha256(phone.encode()).hexdigest()[:16]


async def start_callback(
    request: CallbackRequest, *, tags: tuple[str, ...] = (), rerun_of: str = "", purpose: str = ""
) -> FlowRun:
    """Her candidate-callback run, created once per round and candidate (the idempotency key):
    asking again returns the run that exists. A rerun is keyed by the run it replaces, her second
    chance by its ``purpose``."""
    round_id, candidate_id = request.round.id, request.candidate.id
    key = (
        f"{round_id}.{candidate_id}"
        + (f".rerun-of-{rerun_of}" if rerun_of else "")
        + (f".{purpose}" if purpose else "")
    )
    return await arun_deployment(
        CALLBACK,
        parameters={"request": request.model_dump(mode="json")},
        idempotency_key=key,
        timeout=0,
        as_subflow=False,
        tags=[
            "secondround",
            *tags,
            round_tag(round_id),
            candidate_tag(round_id, candidate_id),
            phone_tag(request.candidate.phone),
        ],
    )
