"""Our calls' webhooks: her keypad choice during the call, call status, answering-machine results.

Events: ``secondround.call.<status>`` (initiated, ringing, in-progress, completed, busy,
no-answer, failed) and ``secondround.call.answered-by`` on the candidate's resource.

A keypad choice is stored on her waiting run as the flow-run input ``keypad-<attempt>``; the
``call-candidate`` task reads it when the call ends. The first choice stored wins, so Twilio's
retries of the same webhook are harmless. Every request is signature-checked (``web.twilio``).
"""

from __future__ import annotations

import logging
from uuid import UUID

import httpx
from fastapi import APIRouter, Response
from prefect.events import emit_event
from prefect.input.actions import acreate_flow_run_input

from config.settings import get_settings
from tasks.clients.twiml import keypad_answer
from tasks.effects import candidate_resource
from web.twilio import TWIML, Form

log = logging.getLogger("web.calls")
router = APIRouter(prefix="/twilio", tags=["twilio"])


@router.post("/keypad", response_class=Response)
async def keypad(form: Form, run: UUID, attempt: int, recruiter: str = "", dial: str = "") -> Response:
    """She pressed a key while hearing the invitation: remember it, then answer her."""
    digits = form.get("Digits", "")
    try:
        await acreate_flow_run_input(key=f"keypad-{attempt}", value=digits, flow_run_id=run)
    except httpx.HTTPStatusError as error:
        if error.response.status_code != 409:  # 409: Twilio retried a webhook we already stored
            raise
    caller_id = get_settings().twilio_from_number
    twiml = keypad_answer(digits, recruiter_name=recruiter, recruiter_phone=dial or None, caller_id=caller_id)
    return Response(twiml, media_type=TWIML)


def _progress(key: str, what: str, **payload: str) -> None:
    """Twilio's progress reports as events on the candidate, for the UI's event feed."""
    parts = key.split(".")
    if len(parts) != 4:
        return
    round_id, candidate_id, attempt, _ = parts
    emit_event(
        event=f"secondround.call.{what}",
        resource={"prefect.resource.id": candidate_resource(round_id, candidate_id)},
        payload={"round": round_id, "attempt": attempt, **payload},
    )


@router.post("/status", status_code=204)
async def call_status(form: Form, key: str = "") -> None:
    status = form.get("CallStatus", "")
    log.info("call %s for %s: %s", form.get("CallSid"), key, status)
    _progress(key, status or "unknown", call_sid=form.get("CallSid", ""))


@router.post("/amd", status_code=204)
async def machine_detection(form: Form, key: str = "") -> None:
    log.info("call %s for %s answered by %s", form.get("CallSid"), key, form.get("AnsweredBy"))
    _progress(key, "answered-by", answered_by=form.get("AnsweredBy", ""), call_sid=form.get("CallSid", ""))


@router.post("/sms-status", status_code=204)
async def sms_status(form: Form, key: str = "") -> None:
    log.info("SMS %s for %s: %s", form.get("MessageSid"), key, form.get("MessageStatus"))
