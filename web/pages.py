"""The candidate's page: ``/r/<token>`` from her email or SMS shows every detail of the interview
in her time zone and three choices (come, cannot come, another time); when she asked for
another time, the times she may pick instead (``web/choosing.py``).

The token (``config/links.py``) is signed and bound to round, candidate and attempt, and expires
when the interview starts. A changed or forged token gets 400, an expired one 410, and neither
ever acts. Her answer is stored in the inbox before the page thanks her (``web/inbox.py``), then
delivered to her run; a second answer, from any link or channel, shows the first and changes
nothing. The page loads nothing from elsewhere, sets no cookie and sends no referrer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from config.links import LinkClaim
from flows.messages.context import context
from flows.models import Decision, Outcome, Reply, ReplyChannel
from flows.replies import Standing
from web.changing import CHANGES, changing, record_change
from web.choosing import PICKS, picking, record_pick
from web.inbox import Inbox, Stored
from web.late import holds_her_slot, record_late, second_chance_notice, settled_notice
from web.signed import page_response, signed_claim, standing_of

log = logging.getLogger("web.pages")
router = APIRouter(tags=["candidate page"])
CHOICES = {"confirm": Decision.confirm, "decline": Decision.decline, "another-time": Decision.another_time}
SAID = {
    Decision.confirm: "you will come to the interview. Thank you, we look forward to meeting you.",
    Decision.decline: "you cannot come to the interview. Thank you for letting us know.",
    Decision.another_time: "the proposed time does not suit you. We will be in touch about another time.",
}


def _decided(first: Stored | None, where: Standing | None, zone: str) -> str:
    if where is not None and where.outcome is Outcome.cancelled:
        return settled_notice(where)  # her cancelling comes after her first answer
    if where is not None and where.request.second_chance is not None and not where.decided:
        return second_chance_notice(where)  # her late answer: the times still free are being looked up
    if first is not None:
        when = first.received_at.astimezone(ZoneInfo(zone)).strftime("%d %B %Y at %H:%M")
        return f"On {when} you told us that {SAID.get(first.reply.decision, 'you had decided.')}"
    if where is not None and where.decided:
        return settled_notice(where)  # decided without an answer of hers here: the truth, kindly
    return ""


@router.get("/r/{token}", response_class=HTMLResponse, summary="Her page: the interview and her choices")
async def page(token: str, request: Request) -> Response:
    claim = signed_claim(token, set(CHOICES))
    if isinstance(claim, HTMLResponse):
        return claim
    inbox: Inbox = request.app.state.inbox
    where = await standing_of(claim)
    pick = picking(where, await inbox.picks(claim.round_id, claim.candidate_id))
    shown = where.slot if where is not None and holds_her_slot(where) else None
    shown = pick.slot if pick is not None and pick.slot is not None else shown
    ctx = None
    if where is not None and shown is not None:
        ctx = context(where.request.round, where.request.candidate, shown, attempt=claim.attempt)
    zone = where.request.candidate.time_zone if where is not None else "UTC"
    decided = (
        pick.notice if pick else _decided(await inbox.first_decision(claim.round_id, claim.candidate_id), where, zone)
    )
    title = f"Second interview: {ctx.title}" if ctx else "Second interview"
    change = changing(where, now=datetime.now(timezone.utc))
    return page_response(
        "candidate.html",
        title=title,
        ctx=ctx,
        decided=decided,
        offered=pick.offered if pick else (),
        changeable=change is not None and change.open,
        change_notice=change.notice if change is not None else "",
        closed=where is not None and (where.decided or where.request.second_chance is not None),
        chosen=claim.choice,
        action=f"/r/{token}",
    )


async def _change_or_pick(request: Request, claim: LinkClaim, *, choice: str, slot: str, times: str) -> None:
    """Store her asking to move or cancel, or her pick of the times offered, then wake the delivery."""
    inbox: Inbox = request.app.state.inbox
    where = await standing_of(claim)
    if choice in CHANGES:
        stored = await record_change(inbox, claim, where, choice=choice, times=times, now=datetime.now(timezone.utc))
    else:
        stored = await record_pick(inbox, claim, where, choice=choice, slot=slot, times=times)
    if stored:
        request.app.state.deliverer.wake.set()


@router.post("/r/{token}", response_class=HTMLResponse, summary="Her answer from the page")
async def answer(
    token: str,
    request: Request,
    choice: Annotated[str, Form(max_length=20)],
    times: Annotated[str, Form(max_length=500)] = "",
    slot: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    claim = signed_claim(token, set(CHOICES))
    if isinstance(claim, HTMLResponse):
        return claim
    if choice in CHANGES or choice in PICKS:  # confirmed, she moves or cancels; or she picks a time offered
        await _change_or_pick(request, claim, choice=choice, slot=slot, times=times)
        return RedirectResponse(f"/r/{token}", status_code=303)
    if choice not in CHOICES:
        return page_response(
            "problem.html", 422, title="We did not understand", message="Sorry: please use the buttons."
        )
    inbox: Inbox = request.app.state.inbox
    reply = Reply(
        decision=CHOICES[choice],
        channel=ReplyChannel.link,
        preferred_time=" ".join(times.split()) if choice == "another-time" else "",
        notes=f"answered on her page (link of attempt {claim.attempt})",
    )
    who = f"{claim.round_id}.{claim.candidate_id}"
    answered = await inbox.first_decision(claim.round_id, claim.candidate_id) is not None
    where = None if answered else await standing_of(claim)
    if answered or (where is not None and (where.decided or where.request.second_chance is not None)):
        # a change of mind, or an answer after her run decided: kept for the recruiter, not acted on
        why = "after her answer" if answered else "after her run had decided"
        key = f"link-late:{who}.{choice}"
        await record_late(inbox, key, claim.round_id, claim.candidate_id, reply, why=why, where=where)
    else:  # one key per candidate: two quick clicks on two links store one answer
        await inbox.add(f"link:{who}", claim.round_id, claim.candidate_id, reply)
        request.app.state.deliverer.wake.set()
    return RedirectResponse(f"/r/{token}", status_code=303)
