"""Who has texted STOP: a Prefect variable per number (a digest: no number in the UI).

The inbound service writes it (``web/delivery.py``) as soon as the STOP is stored; ``send-sms``
reads it before every text, so a STOP takes effect for the very next message, in any run.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from prefect import get_client
from prefect.variables import Variable


def opt_out_name(phone: str) -> str:
    """The variable that records her opt-out (named by a digest: the number is not in it)."""
    return _name(phone)


def _name(phone: str) -> str:
    return "sms_opt_out_" + hashlib.sha256(phone.encode()).hexdigest()[:24]


async def record_opt_out(phone: str) -> None:
    await Variable.aset(_name(phone), datetime.now(timezone.utc).isoformat(), overwrite=True)


async def opted_out(phone: str) -> bool:
    async with get_client() as client:
        return await client.read_variable_by_name(_name(phone)) is not None
