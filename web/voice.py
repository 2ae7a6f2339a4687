"""Replies by calling back: a call from her number hears the invitation and the keypad menu;
1 or 2 is her answer (to the inbox, keyed by ``CallSid``), 0 puts her through to the recruiter.
Every request is signature-checked (``web.twilio``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from twilio.twiml.voice_response import VoiceResponse

from flows.messages.context import context
from flows.messages.render import render
from flows.models import Decision, Reply, ReplyChannel
from tasks.clients.twiml import VOICE, invitation, keypad_answer
from web.inbox import Inbox
from web.late import settled_text
from web.twilio import TWIML, Form, whose

router = APIRouter(prefix="/twilio", tags=["twilio"])


@router.post("/voice", response_class=Response, summary="A call from a candidate")
async def inbound_call(form: Form, request: Request) -> Response:
    """She calls back: if she has a waiting invitation she hears it with the keypad menu."""
    where = await whose(form.get("From", ""))
    response = VoiceResponse()
    picking = where is not None and where.request.second_chance is not None and where.slot is None
    if where is not None and (where.decided or picking):  # her run decided, or her second chance offers times
        response.say(f"{settled_text(where, answered=False)} Goodbye.", voice=VOICE)
        response.hangup()
        return Response(str(response), media_type=TWIML)
    if where is None or where.slot is None:
        response.say("Thank you for calling. We have no open invitation for this number. Goodbye.", voice=VOICE)
        response.hangup()
        return Response(str(response), media_type=TWIML)
    round_, candidate = where.request.round, where.request.candidate
    script = render("call_script", context(round_, candidate, where.slot))
    action = f"/twilio/voice/keypad?round={round_.id}&candidate={candidate.id}"
    return Response(invitation(script, keypad_url=action), media_type=TWIML)


@router.post("/voice/keypad", response_class=Response, summary="Her keypad choice on a call back")
async def inbound_keypad(form: Form, request: Request, round: str, candidate: str) -> Response:
    inbox: Inbox = request.app.state.inbox
    digits = form.get("Digits", "")
    where = await whose(form.get("From", ""))
    mine = where is not None and (where.request.round.id, where.request.candidate.id) == (round, candidate)
    if mine and digits in {"1", "2"}:
        reply = Reply(decision=Decision.confirm if digits == "1" else Decision.decline, channel=ReplyChannel.call)
        if await inbox.first_decision(round, candidate) is None:
            await inbox.add(f"call:{form.get('CallSid', '')}", round, candidate, reply)
            request.app.state.deliverer.wake.set()
    recruiter = where.request.round.organisation.recruiter if where is not None else None
    twiml = keypad_answer(
        digits if mine else "",
        recruiter_name=recruiter.name if recruiter else "",
        recruiter_phone=recruiter.phone if recruiter else None,
        caller_id=form.get("To", ""),
    )
    return Response(twiml, media_type=TWIML)
