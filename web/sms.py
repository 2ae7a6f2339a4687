"""Replies by text and by calling back: Twilio's inbound SMS and inbound call webhooks.

A text is matched to her by the number it comes from (her runs carry a digest of it as a tag):
YES confirms, NO declines, STOP (and Twilio's other opt-out words) stops every further text to
her at once, HELP explains; anything else is kept for the recruiter and acknowledged. A call
from her number hears the invitation and the keypad menu; 1 or 2 is her answer. Answers go to
the inbox (keyed by ``MessageSid`` / ``CallSid``, so Twilio's retries store nothing new) and are
delivered to her run like any other. Every request is signature-checked (``web/twilio.py``).

Events: ``secondround.reply.opted-out``, ``secondround.reply.message``.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from prefect.events import emit_event
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from flows.messages import context, render
from flows.models import Decision, Reply, ReplyChannel
from flows.replies import Standing, standing_by_phone
from tasks.effects import candidate_resource
from tasks.twiml import VOICE, invitation, keypad_answer
from web.inbox import Inbox
from web.twilio import TWIML, Form

log = logging.getLogger("web.sms")
router = APIRouter(prefix="/twilio", tags=["twilio"])
YES = {"yes", "y", "confirm", "1", "ok", "oui", "si", "ja"}
NO = {"no", "n", "decline", "2", "non", "nein"}
STOP = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
HELP = {"help", "info"}


def _texted(body: str) -> Response:
    response = MessagingResponse()
    if body:
        response.message(body)
    return Response(str(response), media_type=TWIML)


async def _whose(phone: str) -> Standing | None:
    try:
        return await standing_by_phone(phone)
    except (httpx.HTTPError, OSError) as error:
        log.warning("could not look up a candidate by phone: %s", error)
        return None


def _event(what: str, where: Standing, **payload: Any) -> None:
    candidate = where.request.candidate
    with suppress(Exception):
        emit_event(
            event=f"secondround.reply.{what}",
            resource={"prefect.resource.id": candidate_resource(where.request.round.id, candidate.id)},
            payload=payload,
        )


@router.post("/sms", response_class=Response, summary="A text from a candidate")
async def inbound_sms(form: Form, request: Request) -> Response:
    inbox: Inbox = request.app.state.inbox
    phone, body, sid = form.get("From", ""), form.get("Body", "").strip(), form.get("MessageSid", "")
    word = body.lower().strip(" .!")
    if word in STOP:
        await inbox.opt_out(phone, word)  # durable first; the worker's copy follows (web/delivery.py)
        request.app.state.deliverer.wake.set()
        return _texted("")  # Twilio answers STOP itself; one confirmation is enough
    where = await _whose(phone)
    if where is None:
        return _texted("We could not match this number to an invitation. Please use the link in our email.")
    return _texted(await _answer(request, where, word=word, body=body, sid=sid))


async def _answer(request: Request, where: Standing, *, word: str, body: str, sid: str) -> str:
    inbox: Inbox = request.app.state.inbox
    round_, candidate = where.request.round, where.request.candidate
    recruiter = round_.organisation.recruiter
    if word in HELP:
        contact = f" or call {recruiter.name} on {recruiter.phone}" if recruiter.phone else ""
        return (
            f"{round_.organisation.name}: reply YES to confirm your interview, NO if you cannot come{contact}."
            " Reply STOP for no more texts."
        )
    if word not in YES | NO:
        _event("message", where, text=body[:500], message_sid=sid)
        await inbox.note(f"sms:{sid}", round_.id, candidate.id, body[:1000])
        return f"Thank you, we passed your message to {recruiter.name}. To answer the invitation, reply YES or NO."
    decision = Decision.confirm if word in YES else Decision.decline
    reply = Reply(decision=decision, channel=ReplyChannel.sms, notes=f"texted {body[:40]!r}")
    if await inbox.first_decision(round_.id, candidate.id) is not None or where.decided:
        await inbox.late(f"sms:{sid}", round_.id, candidate.id, reply, why="texted after her decision")
        return f"Thank you, we already have your answer. For any change please contact {recruiter.name}."
    await inbox.add(f"sms:{sid}", round_.id, candidate.id, reply)
    request.app.state.deliverer.wake.set()
    if decision is Decision.confirm:
        return "Thank you, your place is confirmed. We will email you all the details."
    return "Thank you for letting us know. We will tell the team."


@router.post("/voice", response_class=Response, summary="A call from a candidate")
async def inbound_call(form: Form, request: Request) -> Response:
    """She calls back: if she has a waiting invitation she hears it with the keypad menu."""
    where = await _whose(form.get("From", ""))
    response = VoiceResponse()
    if where is None or where.slot is None or where.decided:
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
    where = await _whose(form.get("From", ""))
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
