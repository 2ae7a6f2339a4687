"""The recruiter's path through the service: she talked to the candidate and records the answer.

The same as the resume form of the waiting run in the Prefect UI (the ``Reply`` model: outcome,
times that suit her, enthusiasm 1-5, notes), for tools and for recruiters without UI access.
Bearer token ``SECONDROUND_RECRUITER_API_TOKEN``; an ``Idempotency-Key`` header makes a resent
request store nothing new. Stored in the inbox, then delivered like every other reply.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, Field

from config.settings import get_settings
from flows.models import Decision, Reply, ReplyChannel
from web.inbox import Inbox

router = APIRouter(prefix="/recruiter", tags=["recruiter"])
ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class RecordedAnswer(BaseModel):
    round_id: str = Field(pattern=ID, description="The round, as in its round file")
    candidate_id: str = Field(pattern=ID, description="The candidate, as in the round file")
    decision: Decision = Field(description="What she decided")
    preferred_time: str = Field(default="", max_length=500, description="Times that suit her (another_time)")
    enthusiasm: int | None = Field(default=None, ge=1, le=5, description="Her enthusiasm as you heard it, 1 to 5")
    professionalism: int | None = Field(default=None, ge=1, le=5, description="Her professionalism, 1 to 5")
    questions: str = Field(default="", max_length=2000, description="The questions she asked, and your answers")
    for_panel: str = Field(default="", max_length=1000, description="Anything the panel should know")
    notes: str = Field(default="", max_length=2000, description="Anything to keep on record")


class Receipt(BaseModel):
    key: str = Field(description="Where the answer is stored; the same for a resent request")
    state: str = Field(description="pending (being delivered), delivered or late (she had decided already)")
    new: bool = Field(description="False if this request repeated one already stored")


def _authorised(authorization: str) -> None:
    expected = "Bearer " + get_settings().recruiter_api_token.get_secret_value()
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(401, detail="a valid recruiter token is needed", headers={"WWW-Authenticate": "Bearer"})


@router.post("/replies", status_code=202, response_model=Receipt, summary="Record her answer")
async def record(
    answer: RecordedAnswer,
    request: Request,
    authorization: Annotated[str, Header()] = "",
    idempotency_key: Annotated[str, Header(max_length=100)] = "",
) -> Receipt:
    _authorised(authorization)
    if answer.decision is Decision.no_reply:
        raise HTTPException(status_code=422, detail="'no_reply' is the deadline's to record, not a decision")
    inbox: Inbox = request.app.state.inbox
    reply = Reply(channel=ReplyChannel.recruiter, **answer.model_dump(exclude={"round_id", "candidate_id"}))
    key = f"recruiter:{idempotency_key or uuid4().hex}"
    stored = await inbox.add(key, answer.round_id, answer.candidate_id, reply)
    request.app.state.deliverer.wake.set()
    return Receipt(key=stored.key, state=stored.state, new=stored.new)
