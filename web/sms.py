"""Replies by text: Twilio's inbound SMS webhook.

A text is matched to her by the number it comes from (her runs carry a digest of it as a tag):
YES confirms, NO declines, STOP (and Twilio's other opt-out words) stops every further text to
her at once, HELP explains; anything else is kept for the recruiter and acknowledged. Answers go
to the inbox (keyed by ``MessageSid``, so Twilio's retries store nothing new) and are delivered
to her run like any other. Every request is signature-checked (``web.twilio``).

Events: ``secondround.reply.opted-out``, ``secondround.reply.message``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from twilio.twiml.messaging_response import MessagingResponse

from flows.models import Decision, Reply, ReplyChannel
from flows.replies import Standing
from web.inbox import Inbox
from web.late import record_late, second_chance_notice, settled_text
from web.twilio import TWIML, Form, reply_event, whose

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


@router.post("/sms", response_class=Response, summary="A text from a candidate")
async def inbound_sms(form: Form, request: Request) -> Response:
    inbox: Inbox = request.app.state.inbox
    phone, body, sid = form.get("From", ""), form.get("Body", "").strip(), form.get("MessageSid", "")
    word = body.lower().strip(" .!")
    if word in STOP:
        await inbox.opt_out(phone, word)  # durable first; the worker's copy follows (web/delivery.py)
        request.app.state.deliverer.wake.set()
        return _texted("")  # Twilio answers STOP itself; one confirmation is enough
    where = await whose(phone)
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
        reply_event("message", where, text=body[:500], message_sid=sid)
        await inbox.note(f"sms:{sid}", round_.id, candidate.id, body[:1000])
        return f"Thank you, we passed your message to {recruiter.name}. To answer the invitation, reply YES or NO."
    decision = Decision.confirm if word in YES else Decision.decline
    reply = Reply(decision=decision, channel=ReplyChannel.sms, notes=f"texted {body[:40]!r}")
    answered = await inbox.first_decision(round_.id, candidate.id) is not None
    if answered or where.decided or where.request.second_chance is not None:  # her second chance: pick a time
        why, mine = "texted after her decision", None if answered else where
        if await record_late(inbox, f"sms:{sid}", round_.id, candidate.id, reply, why=why, where=mine):
            return second_chance_notice(where, text=True)
        return settled_text(where, answered=answered)
    await inbox.add(f"sms:{sid}", round_.id, candidate.id, reply)
    request.app.state.deliverer.wake.set()
    if decision is Decision.confirm:
        return "Thank you, your place is confirmed. We will email you all the details."
    return "Thank you for letting us know. We will tell the team."
