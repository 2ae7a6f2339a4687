"""Steering a live call over the Twilio client: fetch it, give it new TwiML, tell and hang up.

No Prefect. Used by ``tasks/bridge.py`` for the two legs of the recruiter's live call. A leg that
has ended refuses new TwiML and hang-ups (21220): where that is what we wanted, it is not an error.
"""

from __future__ import annotations

import contextlib

from twilio.rest import Client
from twilio.rest.api.v2010.account.call import CallInstance

from config.errors import TerminalChannelError
from config.settings import Settings
from tasks.clients import twiml
from tasks.clients.twilio import backing_off

FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


async def on_line(client: Client, settings: Settings, sid: str) -> bool:
    return str((await fetch(client, settings, sid)).status) == "in-progress"


async def fetch(client: Client, settings: Settings, sid: str) -> CallInstance:
    return await backing_off(
        lambda: client.calls(sid).fetch_async(), channel="phone", timeout=settings.twilio_timeout_seconds
    )


async def steer(client: Client, settings: Settings, sid: str, xml: str) -> None:
    await backing_off(
        lambda: client.calls(sid).update_async(twiml=xml), channel="phone", timeout=settings.twilio_timeout_seconds
    )


async def tell(client: Client, settings: Settings, sid: str, text: str) -> None:
    """Say how it ended to the recruiter, if the recruiter is still on the line."""
    with contextlib.suppress(TerminalChannelError):  # hung up already (21220): nothing to say
        await steer(client, settings, sid, twiml.goodbye(text))


async def hang_up_quietly(client: Client, settings: Settings, sid: str) -> None:
    """End a leg; one that has ended already is refused (21220), which is what we wanted."""
    call = await fetch(client, settings, sid)
    if call.status not in FINAL:
        with contextlib.suppress(TerminalChannelError):  # it ended meanwhile
            await backing_off(
                lambda: client.calls(sid).update_async(status="completed"),
                channel="phone",
                timeout=settings.twilio_timeout_seconds,
            )
