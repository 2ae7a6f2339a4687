"""A corrected phone number or email reaches her run: the round file is the truth.

Running the round again (``hiring-round``) compares each shortlisted candidate's contact details
with those her run started with. If her run is still undecided and they differ, the new details
are stored on her run (flow-run input ``contact-<digest>``). Her run reads the newest at the
start of each attempt: later contacts go to the new number and address, the timeline records the
change (event ``secondround.candidate.contact-changed``), and nothing already sent goes again
(every contact keeps its business key).
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from prefect import get_client, task
from prefect.client.schemas.objects import FlowRun
from pydantic import BaseModel

from config.round import Candidate
from flows.models import CallbackRequest
from flows.replies import store_on_run
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done

PREFIX = "contact-"


class ContactDetails(BaseModel):
    phone: str
    email: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.phone} {self.email}".encode()).hexdigest()[:16]


def _details(candidate: Candidate) -> ContactDetails:
    return ContactDetails(phone=candidate.phone, email=candidate.email)


async def _newest(run_id: UUID) -> ContactDetails | None:
    async with get_client() as client:
        stored = await client.filter_flow_run_input(run_id, key_prefix=PREFIX, limit=50, exclude_keys=set())
    newest = max(stored, key=lambda item: str(item.created), default=None)
    return ContactDetails.model_validate_json(newest.value) if newest else None


async def share_correction(run: FlowRun, candidate: Candidate) -> bool:
    """Store ``candidate``'s details on her undecided run if they differ from what it knows."""
    if run.state is not None and run.state.is_final():
        return False
    started = CallbackRequest.model_validate(run.parameters["request"]).candidate
    known = await _newest(run.id) or _details(started)
    wanted = _details(candidate)
    if wanted == known:
        return False
    async with get_client() as client:
        await store_on_run(client, run.id, f"{PREFIX}{wanted.digest}", wanted.model_dump_json())
    return True


async def corrected(request: CallbackRequest, *, run_id: str, attempt: int) -> tuple[CallbackRequest, Done | None]:
    """Her request with the newest contact details stored on her run, and the timeline's line
    about the change (None when nothing changed)."""
    newest = await _newest(UUID(run_id))
    if newest is None or newest == _details(request.candidate):
        return request, None
    candidate = request.candidate.model_copy(update={"phone": newest.phone, "email": newest.email})
    line = await note_correction(
        request.key(f"contact-{newest.digest}", attempt=attempt), before=_details(request.candidate), after=newest
    )
    return request.model_copy(update={"candidate": candidate}), line


@task(name="note-correction", cache_policy=BY_BUSINESS_KEY)
async def note_correction(key: EffectKey, *, before: ContactDetails, after: ContactDetails) -> Done:
    changed = [
        f"{what} {old} -> {new}"
        for what, old, new in (("phone", before.phone, after.phone), ("email", before.email, after.email))
        if old != new
    ]
    return done(key, "contact details corrected in the round file: " + ", ".join(changed), event="contact-changed")
