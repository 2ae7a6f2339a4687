"""Signed reply links: a confirm or decline link bound to round, candidate and attempt.

The token is ``<round>.<candidate>.<attempt>.<choice>.<expires>.<signature>``; the signature is an
HMAC-SHA256 over everything before it, so a changed field or a forged link fails ``verify``
(``BadLink``), and a genuine one past its time too (``ExpiredLink``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone

from config.errors import BadLink, ExpiredLink


@dataclass(frozen=True)
class LinkClaim:
    round_id: str
    candidate_id: str
    attempt: int
    choice: str
    expires: datetime


def _sign(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def make_token(key: bytes, claim: LinkClaim) -> str:
    payload = f"{claim.round_id}.{claim.candidate_id}.{claim.attempt}.{claim.choice}.{int(claim.expires.timestamp())}"
    return f"{payload}.{_sign(key, payload)}"


def verify(key: bytes, token: str, *, now: datetime) -> LinkClaim:
    payload, _, signature = token.rpartition(".")
    # our tokens are ASCII; compare_digest refuses to compare other strings (a 500, not a 400)
    if not token.isascii() or not payload or not hmac.compare_digest(_sign(key, payload), signature):
        raise BadLink("this link is not valid: it was changed or not issued by us")
    round_id, candidate_id, attempt, choice, expires = payload.split(".")
    claim = LinkClaim(
        round_id, candidate_id, int(attempt), choice, datetime.fromtimestamp(int(expires), tz=timezone.utc)
    )
    if claim.expires <= now:
        raise ExpiredLink("this link has expired")
    return claim
