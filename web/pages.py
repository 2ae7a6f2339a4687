"""The candidate's page: ``/r/<token>`` from her email or SMS shows every detail of the interview
in her time zone and three choices (come, cannot come, another time).

The token (``config/links.py``) is signed and bound to round, candidate and attempt, and expires
when the interview starts. A changed or forged token gets 400, an expired one 410, and neither
ever acts. Her answer is stored in the inbox before the page thanks her (``web/inbox.py``), then
delivered to her run; a second answer, from any link or channel, shows the first and changes
nothing. The page loads nothing from elsewhere, sets no cookie and sends no referrer.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from config.errors import BadLink, ExpiredLink
from config.links import LinkClaim, verify
from config.settings import get_settings
from flows.messages.context import context
from flows.models import Decision, Reply, ReplyChannel
from flows.replies import Standing, standing
from web.inbox import Inbox, Stored

log = logging.getLogger("web.pages")
router = APIRouter(tags=["candidate page"])
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())
CHOICES = {"confirm": Decision.confirm, "decline": Decision.decline, "another-time": Decision.another_time}
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}
SAID = {
    Decision.confirm: "you will come to the interview. Thank you, we look forward to meeting you.",
    Decision.decline: "you cannot come to the interview. Thank you for letting us know.",
    Decision.another_time: "the proposed time does not suit you. The recruiter will be in touch about another time.",
}


def _page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(template).render(values), status_code=status, headers=HEADERS)


def _claim(token: str) -> LinkClaim | HTMLResponse:
    key = get_settings().link_signing_key.get_secret_value().encode()
    try:
        claim = verify(key, token, now=datetime.now(timezone.utc))
    except BadLink as error:
        status = 410 if isinstance(error, ExpiredLink) else 400
        return _page("problem.html", status, title="This link cannot be used", message=f"Sorry: {error}.")
    except ValueError:  # well signed but not ours to read (an old format): same as forged
        return _page("problem.html", 400, title="This link cannot be used", message="Sorry: this link is not valid.")
    if claim.choice not in CHOICES:
        return _page("problem.html", 400, title="This link cannot be used", message="Sorry: this link is not valid.")
    return claim


async def _standing(claim: LinkClaim) -> Standing | None:
    try:
        return await standing(claim.round_id, claim.candidate_id)
    except (httpx.HTTPError, OSError) as error:  # Prefect unreachable: the page still takes her answer
        log.warning("details for %s unavailable: %s", claim.candidate_id, error)
        return None


def _decided(first: Stored | None, where: Standing | None, zone: str) -> str:
    if first is not None:
        when = first.received_at.astimezone(ZoneInfo(zone)).strftime("%d %B %Y at %H:%M")
        return f"On {when} you told us that {SAID.get(first.reply.decision, 'you had decided.')}"
    if where is not None and where.decided:
        return "We have already recorded your answer. Thank you."
    return ""


@router.get("/r/{token}", response_class=HTMLResponse, summary="Her page: the interview and her choices")
async def page(token: str, request: Request) -> Response:
    claim = _claim(token)
    if isinstance(claim, HTMLResponse):
        return claim
    inbox: Inbox = request.app.state.inbox
    where = await _standing(claim)
    ctx = None
    zone = "UTC"
    if where is not None and where.slot is not None:
        ctx = context(where.request.round, where.request.candidate, where.slot, attempt=claim.attempt)
        zone = where.request.candidate.time_zone
    decided = _decided(await inbox.first_decision(claim.round_id, claim.candidate_id), where, zone)
    title = f"Second interview: {ctx.title}" if ctx else "Second interview"
    return _page("candidate.html", title=title, ctx=ctx, decided=decided, chosen=claim.choice, action=f"/r/{token}")


@router.post("/r/{token}", response_class=HTMLResponse, summary="Her answer from the page")
async def answer(
    token: str,
    request: Request,
    choice: Annotated[str, Form(max_length=20)],
    times: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    claim = _claim(token)
    if isinstance(claim, HTMLResponse):
        return claim
    if choice not in CHOICES:
        return _page("problem.html", 422, title="We did not understand", message="Sorry: please use the buttons.")
    inbox: Inbox = request.app.state.inbox
    reply = Reply(
        decision=CHOICES[choice],
        channel=ReplyChannel.link,
        preferred_time=" ".join(times.split()) if choice == "another-time" else "",
        notes=f"answered on her page (link of attempt {claim.attempt})",
    )
    who = f"{claim.round_id}.{claim.candidate_id}"
    if await inbox.first_decision(claim.round_id, claim.candidate_id) is None:
        # one key per candidate: two quick clicks on two links store one answer
        await inbox.add(f"link:{who}", claim.round_id, claim.candidate_id, reply)
        request.app.state.deliverer.wake.set()
    else:  # a change of mind after her answer: kept for the recruiter, not acted on
        await inbox.late(f"link-late:{who}.{choice}", claim.round_id, claim.candidate_id, reply, why="after her answer")
    return RedirectResponse(f"/r/{token}", status_code=303)
