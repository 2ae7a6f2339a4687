"""The recruiter's form after a call: ``/recruiter/calls/<token>``, sent to the recruiter by
email and text right after talking to her. It shows the call guide (her slot on the venue's
clock and hers, the day, who she will meet, what to wear and bring) and records the call: her
decision, enthusiasm and professionalism 1 to 5, the questions she asked and the answers given,
what the panel should know, notes. The same fields as the waiting run's resume form.

The link is signed like hers (``web/signed.py``): 400 for a changed or forged one, 410 once the
interview has started, and neither records anything. The answer goes to the inbox under one key
per candidate and call, then to her run; a second submission shows the first and changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError

from flows.messages.context import RECRUITER, context
from flows.models import Decision, Reply, ReplyChannel
from web.inbox import Inbox
from web.signed import Scored, page_response, signed_claim, standing_of

router = APIRouter(prefix="/recruiter", tags=["recruiter"])
DECISIONS = {"confirm": Decision.confirm, "decline": Decision.decline, "another_time": Decision.another_time}


class CallRecord(Scored):
    """The form as posted: strings, checked into a ``Reply`` (a bad value gets a page, not JSON)."""

    decision: str = Field(max_length=20)
    preferred_time: str = Field(default="", max_length=500)
    questions: str = Field(default="", max_length=2000)
    for_panel: str = Field(default="", max_length=1000)
    notes: str = Field(default="", max_length=2000)


@router.get("/calls/{token}", response_class=HTMLResponse, summary="The recruiter's call guide and form")
async def call_form(token: str, request: Request) -> Response:
    claim = signed_claim(token, {RECRUITER})
    if isinstance(claim, HTMLResponse):
        return claim
    inbox: Inbox = request.app.state.inbox
    where = await standing_of(claim)
    ctx = None
    if where is not None and where.slot is not None:
        ctx = context(where.request.round, where.request.candidate, where.slot, attempt=claim.attempt)
    first = await inbox.first_decision(claim.round_id, claim.candidate_id)
    title = f"Your call with {ctx.name}" if ctx else "Your call"
    return page_response("recruiter_call.html", title=title, ctx=ctx, first=first, action=f"/recruiter/calls/{token}")


@router.post("/calls/{token}", response_class=HTMLResponse, summary="Record the call")
async def record_call(token: str, request: Request, form: Annotated[CallRecord, Form()]) -> Response:
    claim = signed_claim(token, {RECRUITER})
    if isinstance(claim, HTMLResponse):
        return claim
    try:
        reply = Reply(
            decision=DECISIONS[form.decision],
            channel=ReplyChannel.recruiter,
            **form.scores(),
            preferred_time=form.preferred_time if form.decision == "another_time" else "",
            questions=form.questions.strip(),
            for_panel=form.for_panel.strip(),
            notes=form.notes.strip(),
        )
    except (KeyError, ValueError, ValidationError):
        message = "Sorry: please choose her decision, and scores from 1 to 5."
        return page_response("problem.html", 422, title="We did not understand", message=message)
    inbox: Inbox = request.app.state.inbox
    if await inbox.first_decision(claim.round_id, claim.candidate_id) is None:
        key = f"recruiter-call:{claim.round_id}.{claim.candidate_id}.{claim.attempt}"
        await inbox.add(key, claim.round_id, claim.candidate_id, reply)
        request.app.state.deliverer.wake.set()
    return RedirectResponse(f"/recruiter/calls/{token}", status_code=303)
