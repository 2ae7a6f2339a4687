"""What every page behind a signed link shares: reading the link, the page's headers, and her
standing. A changed or forged link gets 400 and an expired one 410, each with a page saying so;
neither ever records anything. The pages load nothing from elsewhere, set no cookie and send no
referrer (the token is in the URL).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from config.errors import BadLink, ExpiredLink
from config.links import LinkClaim, verify
from config.settings import get_settings
from flows.replies import Standing, standing

log = logging.getLogger("web.signed")
_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
}
NOT_VALID = "Sorry: this link is not valid."
SCORES = {"enthusiasm", "professionalism"}


class Scored(BaseModel):
    """The 1-to-5 impressions of a posted form (``_scores.html``), as strings until checked."""

    enthusiasm: str = Field(default="", max_length=1)
    professionalism: str = Field(default="", max_length=1)

    def scores(self) -> dict[str, int | None]:
        """Each score as a number, None when not given (a bad one raises ValueError)."""
        return {name: int(value) if value else None for name, value in self.model_dump(include=SCORES).items()}


def page_response(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(template).render(values), status_code=status, headers=HEADERS)


def signed_claim(token: str, choices: Collection[str]) -> LinkClaim | HTMLResponse:
    """The link's claim if it is ours, unexpired and for one of ``choices``; else the page saying why."""
    key = get_settings().link_signing_key.get_secret_value().encode()
    try:
        claim = verify(key, token, now=datetime.now(timezone.utc))
    except BadLink as error:
        status = 410 if isinstance(error, ExpiredLink) else 400
        return page_response("problem.html", status, title="This link cannot be used", message=f"Sorry: {error}.")
    except ValueError:  # well signed but not ours to read (an old format): same as forged
        return page_response("problem.html", 400, title="This link cannot be used", message=NOT_VALID)
    if claim.choice not in choices:
        return page_response("problem.html", 400, title="This link cannot be used", message=NOT_VALID)
    return claim


async def standing_of(claim: LinkClaim) -> Standing | None:
    """Her run's request and slot, or None while Prefect is unreachable (the page still records)."""
    try:
        return await standing(claim.round_id, claim.candidate_id)
    except (httpx.HTTPError, OSError) as error:
        log.warning("details for %s unavailable: %s", claim.candidate_id, error)
        return None
