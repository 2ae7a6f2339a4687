"""Twilio's webhooks: keypad choices during the call, call status and answering-machine results.

Every request must carry a valid ``X-Twilio-Signature`` computed over the public URL Twilio was
given (``SECONDROUND_PUBLIC_BASE_URL`` + path + query: a proxy changes scheme and host, so the
URL is rebuilt, never read from the request); anything else gets 403 and changes nothing.

Events: ``secondround.call.<status>`` (initiated, ringing, in-progress, completed, busy,
no-answer, failed) and ``secondround.call.answered-by`` on the candidate's resource.

A keypad choice is stored on her waiting run as the flow-run input ``keypad-<attempt>``; the
``call-candidate`` task reads it when the call ends. The first choice stored wins, so Twilio's
retries of the same webhook are harmless.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qs
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from prefect.events import emit_event
from prefect.input.actions import acreate_flow_run_input
from twilio.request_validator import RequestValidator

from config.settings import get_settings
from tasks.effects import candidate_resource
from tasks.twiml import keypad_answer

log = logging.getLogger("web.twilio")
router = APIRouter(prefix="/twilio", tags=["twilio"])
TWIML = "application/xml"


async def signed_form(request: Request) -> dict[str, str]:
    """The webhook's form, once its Twilio signature is proven; 403 otherwise."""
    settings = get_settings()
    raw = parse_qs((await request.body()).decode(), keep_blank_values=True)
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    params = {k: v if len(v) > 1 else v[0] for k, v in raw.items()}
    if not validator.validate(url, params, request.headers.get("X-Twilio-Signature", "")):
        log.warning("rejected a request to %s: bad or missing Twilio signature", request.url.path)
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return {k: v[-1] for k, v in raw.items()}


Form = Annotated[dict[str, str], Depends(signed_form)]


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
