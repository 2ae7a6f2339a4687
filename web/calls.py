"""Our calls' webhooks: her keypad choice during the call, the recruiter's keys during a live
call (the whisper's 1, the choice when her voicemail answers), call status, machine detection.

Events: ``secondround.call.<status>`` (initiated, ringing, in-progress, completed, busy,
no-answer, failed) and ``secondround.call.answered-by`` on the candidate's resource.

A keypad choice is stored on her waiting run as the flow-run input ``keypad-<attempt>``; the
``call-candidate`` task reads it when the call ends. The recruiter's keys and the sid of the
recruiter's leg (from its first status callback) are stored the same way for
``call-with-recruiter`` (``tasks.bridge.input_key``). The first value stored wins, so Twilio's
retries of the same webhook are harmless. Every request is signature-checked (``web.twilio``).
"""

from __future__ import annotations

import logging
from uuid import UUID

import httpx
from fastapi import APIRouter, HTTPException, Response
from prefect.events import emit_event
from prefect.input.actions import acreate_flow_run_input

from config.settings import get_settings
from tasks.bridge import input_key
from tasks.clients.twiml import goodbye, join, keypad_answer
from tasks.effects import EffectKey, candidate_resource
from web.twilio import TWIML, Form

log = logging.getLogger("web.calls")
router = APIRouter(prefix="/twilio", tags=["twilio"])


async def _keep(run: UUID, key: str, value: str) -> None:
    """Store a value on her run once; a 409 means Twilio retried a webhook we already stored."""
    try:
        await acreate_flow_run_input(key=key, value=value, flow_run_id=run)
    except httpx.HTTPStatusError as error:
        if error.response.status_code != 409:
            raise


def _ring_key(key: str) -> EffectKey:
    parsed = EffectKey.parse(key)
    if parsed is None:
        raise HTTPException(400, f"{key!r} is not the key of one of our calls")
    return parsed


@router.post("/keypad", response_class=Response)
async def keypad(form: Form, run: UUID, attempt: int, recruiter: str = "", dial: str = "") -> Response:
    """She pressed a key while hearing the invitation: remember it, then answer her."""
    digits = form.get("Digits", "")
    await _keep(run, f"keypad-{attempt}", digits)
    caller_id = get_settings().twilio_from_number
    twiml = keypad_answer(digits, recruiter_name=recruiter, recruiter_phone=dial or None, caller_id=caller_id)
    return Response(twiml, media_type=TWIML)


@router.post("/whisper", response_class=Response)
async def whisper(form: Form, run: UUID, key: str, record: int = 0) -> Response:
    """The recruiter heard whom we are calling: 1 joins the call's conference and we dial her."""
    digits = form.get("Digits", "")
    await _keep(run, input_key("whisper", _ring_key(key)), digits)
    if digits != "1":
        return Response(goodbye("We will ring you again later. Goodbye."), media_type=TWIML)
    return Response(join(key, say="Connecting you now.", record=bool(record)), media_type=TWIML)


@router.post("/machine", response_class=Response)
async def machine(form: Form, run: UUID, key: str, recording: int = 0) -> Response:
    """Her voicemail answered: 1, the recruiter speaks to it; 2 (with her consent), we play ours."""
    digits = form.get("Digits", "")
    await _keep(run, input_key("machine", _ring_key(key)), digits)
    if digits == "1":
        return Response(join(key, say="Speak after this message; hang up when you are done."), media_type=TWIML)
    said = "We will play the recorded message. Goodbye." if digits == "2" and recording else "Goodbye."
    return Response(goodbye(said), media_type=TWIML)


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
async def call_status(form: Form, key: str = "", run: UUID | None = None) -> None:
    """Progress as events; for the recruiter's leg (``run`` given) its sid, kept on her run."""
    status = form.get("CallStatus", "")
    log.info("call %s for %s: %s", form.get("CallSid"), key, status)
    _progress(key, status or "unknown", call_sid=form.get("CallSid", ""))
    parsed = EffectKey.parse(key)
    if run is not None and parsed is not None and form.get("CallSid"):
        await _keep(run, input_key("leg", parsed), form["CallSid"])


@router.post("/amd", status_code=204)
async def machine_detection(form: Form, key: str = "") -> None:
    log.info("call %s for %s answered by %s", form.get("CallSid"), key, form.get("AnsweredBy"))
    _progress(key, "answered-by", answered_by=form.get("AnsweredBy", ""), call_sid=form.get("CallSid", ""))


@router.post("/sms-status", status_code=204)
async def sms_status(form: Form, key: str = "") -> None:
    log.info("SMS %s for %s: %s", form.get("MessageSid"), key, form.get("MessageStatus"))
