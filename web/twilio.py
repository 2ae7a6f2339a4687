"""What every Twilio webhook shares: the signature check, and who is calling or texting.

Every request must carry a valid ``X-Twilio-Signature`` computed over the public URL Twilio was
given (``SECONDROUND_PUBLIC_BASE_URL`` + path + query: a proxy changes scheme and host, so the
URL is rebuilt, never read from the request); anything else gets 403 and changes nothing.
The routes are ``web.calls`` (our calls' callbacks), ``web.sms`` (her texts) and ``web.voice``
(her calls to us).
"""

from __future__ import annotations

import logging
from contextlib import suppress
from typing import Annotated, Any
from urllib.parse import parse_qs

import httpx
from fastapi import Depends, HTTPException, Request
from prefect.events import emit_event
from twilio.request_validator import RequestValidator

from config.settings import get_settings
from flows.replies import Standing, standing_by_phone
from tasks.effects import candidate_resource

log = logging.getLogger("web.twilio")
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


async def whose(phone: str) -> Standing | None:
    """The candidate behind a number (her runs carry a digest of it as a tag); None if unknown."""
    try:
        return await standing_by_phone(phone)
    except (httpx.HTTPError, OSError) as error:
        log.warning("could not look up a candidate by phone: %s", error)
        return None


def reply_event(what: str, where: Standing, **payload: Any) -> None:
    """``secondround.reply.<what>`` on her resource; never fails the webhook."""
    candidate = where.request.candidate
    with suppress(Exception):
        emit_event(
            event=f"secondround.reply.{what}",
            resource={"prefect.resource.id": candidate_resource(where.request.round.id, candidate.id)},
            payload=payload,
        )
