"""Phone boundary, the recruiter's live call: ring the recruiter, then her, and bridge the two.

Recruiter mode ("click to call", placed by us). The recruiter's phone rings first with a whisper
(whom, which round, press 1); on 1 we dial her into a conference named by the ring's business
key. Her leg has answering-machine detection: when her voicemail answers, the recruiter is asked
to leave a message of their own or (with her consent) to have the recorded one played. A ring
that is not answered, is busy, is declined, or is hung up before she is dialled is a *miss*:
her attempt is not used up, and the flow rings again later (``flows/live_call.py``).

Once per key across crashes: the recruiter's leg is found again through the run input
``leg-<step>-<attempt>`` that ``web/`` stores from the leg's first status callback (the key
travels in the callback URL and comes back with it); her leg, as for the automated call, by
looking for a call to her since the attempt was planned. Both creations are paced.

Events: ``secondround.candidate.called`` (``ring``: connected, or how the recruiter missed).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from prefect import task
from prefect.runtime import flow_run
from pydantic import BaseModel
from twilio.rest import Client
from twilio.rest.api.v2010.account.call import CallInstance

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings, get_settings
from tasks.clients import twiml
from tasks.clients.calls import FINAL, fetch, hang_up_quietly, on_line, steer, tell
from tasks.clients.twilio import twilio_client
from tasks.effects import EFFECT_TASK, EffectKey, done, fault_point
from tasks.phone import CallOutcome, CallResult, callback_url, dial, find_call, follow_call
from tasks.phone import outcome_of_call as her_outcome
from tasks.run_inputs import read_input

EVENTS = ["initiated", "ringing", "answered", "completed"]
MISSED = "the recruiter did not take the call"  # how a missed ring's timeline line starts
LEFT_MESSAGE = "the recruiter left her a message"
CONVERSATION_LIMIT = 3600  # seconds: Twilio's time_limit on both legs, and how long we follow them


class RingOutcome(StrEnum):
    connected = "connected"  # the recruiter pressed 1 and she was dialled
    no_answer = "no-answer"
    busy = "busy"
    failed = "failed"
    declined = "declined"  # the recruiter answered and did not press 1
    gone = "gone"  # the recruiter pressed 1 but hung up before she was dialled


class BridgedCall(CallResult):
    ring: RingOutcome
    recruiter_sid: str | None = None
    left_message: bool = False  # the recruiter spoke to her voicemail
    play_recording: bool = False  # the recruiter chose the recorded voicemail (she consented)


class Live(BaseModel):
    """What one ring needs to know beyond its key."""

    to: str  # her number
    recruiter_phone: str
    whisper: str  # what the recruiter hears first
    notice: str  # what she hears first ("" unless the call is recorded)
    record: bool
    voicemail: bool  # she agreed to a recorded voicemail
    since: datetime  # when this ring was planned: a call created since then may be ours


def input_key(kind: str, key: EffectKey) -> str:
    """The run input a webhook stores for this ring: ``whisper``, ``machine`` (keys) or ``leg`` (sid)."""
    return f"{kind}-{key.step}-{key.attempt}"


@task(name="call-with-recruiter", **EFFECT_TASK)
async def call_with_recruiter(key: EffectKey, *, live: Live) -> BridgedCall:
    settings, run_id = get_settings(), UUID(str(flow_run.get_id()))
    fault_point(key, "before")
    async with twilio_client(settings) as client:
        try:
            ring = await _ring(client, settings, key, live, run_id=run_id)
        except TerminalChannelError as error:
            return _missed(key, RingOutcome.failed, f"the recruiter's phone refused: {error}")
        fault_point(key, "ringing")
        pressed, status = await _pressed(client, settings, str(ring.sid), input_key("whisper", key), run_id)
        if pressed != "1":
            miss = RingOutcome.declined if pressed or status == "completed" else _miss_of(status)
            return _missed(key, miss, miss.value, sid=ring.sid)
        fault_point(key, "between")
        return await _her_leg(client, settings, key, live, ring_sid=str(ring.sid))


async def _her_leg(client: Client, settings: Settings, key: EffectKey, live: Live, *, ring_sid: str) -> BridgedCall:
    """Dial her into the conference (or adopt the leg a crash left), then follow the two."""
    try:
        her = await find_call(client, settings, to=live.to, since=live.since)
        if her is None and not await on_line(client, settings, ring_sid):
            return _missed(key, RingOutcome.gone, "hung up before she was dialled", sid=ring_sid)
        her = her or await dial_her(client, settings, key, live)
    except TerminalChannelError as error:
        await tell(client, settings, ring_sid, "We could not reach her number. We will email her. Goodbye.")
        line = done(key, f"not called: {error}", event="called", outcome=CallOutcome.unreachable.value)
        return BridgedCall(**line.model_dump(), outcome=CallOutcome.unreachable, ring=RingOutcome.connected)
    fault_point(key, "after")
    her = await follow_call(client, settings, str(her.sid))
    outcome = her_outcome(str(her.status), her.answered_by)
    bridged = {"sid": her.sid, "recruiter_sid": ring_sid, "ring": RingOutcome.connected}
    if outcome is CallOutcome.machine:
        return await _at_her_machine(client, settings, key, live, her_sid=str(her.sid), ring_sid=ring_sid)
    if outcome is CallOutcome.human:
        await _until_one_ends(client, str(her.sid), ring_sid, settings)
        line = done(key, f"the recruiter talked to her ({live.to})", event="called", outcome="human", ring="connected")
        return BridgedCall(**line.model_dump(), outcome=outcome, **bridged)
    await tell(client, settings, ring_sid, "She did not answer. We will email her. Goodbye.")
    line = done(key, f"rang {live.to} for the recruiter: {outcome.value}", event="called", outcome=outcome.value)
    return BridgedCall(**line.model_dump(), outcome=outcome, **bridged)


async def _at_her_machine(
    client: Client, settings: Settings, key: EffectKey, live: Live, *, her_sid: str, ring_sid: str
) -> BridgedCall:
    """Her voicemail answered: the recruiter's own message, the recorded one, or none."""
    action = callback_url(settings, "machine", key=str(key), run=str(flow_run.get_id()), recording=int(live.voicemail))
    await steer(client, settings, ring_sid, twiml.machine_prompt(action=action, recording=live.voicemail))
    run_id = UUID(str(flow_run.get_id()))
    choice, _ = await _pressed(client, settings, ring_sid, input_key("machine", key), run_id)
    bridged = {"sid": her_sid, "recruiter_sid": ring_sid, "ring": RingOutcome.connected}
    if choice == "2" and live.voicemail:
        line = done(key, "her voicemail answered: the recruiter chose the recorded message", event="called")
        return BridgedCall(**line.model_dump(), outcome=CallOutcome.machine, play_recording=True, **bridged)
    if choice == "1":
        await _until_one_ends(client, her_sid, ring_sid, settings)
        detail = f"her voicemail answered: {LEFT_MESSAGE}"
        line = done(key, detail, event="voicemail-left", outcome="machine", by="recruiter")
        return BridgedCall(**line.model_dump(), outcome=CallOutcome.machine, left_message=True, **bridged)
    await hang_up_quietly(client, settings, her_sid)
    line = done(key, "her voicemail answered: no message left", event="called", outcome="machine")
    return BridgedCall(**line.model_dump(), outcome=CallOutcome.machine, **bridged)


async def _ring(client: Client, settings: Settings, key: EffectKey, live: Live, *, run_id: UUID) -> CallInstance:
    """The recruiter's leg: the one this ring already placed, else a new one (paced)."""
    leg = await _stored_leg(client, settings, key, live, run_id=run_id)
    if leg is not None:
        return leg
    try:
        return await dial_recruiter(client, settings, key, live, run=str(run_id))
    except TransientChannelError:  # ambiguous: created or not? its status callback tells
        found = await _read_soon(input_key("leg", key), run_id)
        if found is None:
            raise
        return await fetch(client, settings, found)


async def _stored_leg(
    client: Client, settings: Settings, key: EffectKey, live: Live, *, run_id: UUID
) -> CallInstance | None:
    """The leg a crash left: its sid arrives with its first status callback. If a call to the
    recruiter was created since this ring was planned, give a late callback a moment."""
    sid = await read_input(input_key("leg", key), run_id=run_id)
    if sid is None and await find_call(client, settings, to=live.recruiter_phone, since=live.since) is not None:
        sid = await _read_soon(input_key("leg", key), run_id)
    return await fetch(client, settings, str(sid)) if sid else None


async def dial_recruiter(client: Client, settings: Settings, key: EffectKey, live: Live, *, run: str) -> CallInstance:
    """The recruiter's leg: the whisper, its key to us; status callbacks carry the run and key."""
    action = callback_url(settings, "whisper", key=str(key), run=run, record=int(live.record))
    return await dial(
        client,
        settings,
        to=live.recruiter_phone,
        from_=settings.twilio_from_number,
        twiml=twiml.whisper(live.whisper, action=action),
        status_callback=callback_url(settings, "status", key=str(key), run=run),
        status_callback_event=EVENTS,
        timeout=settings.call_ring_seconds,
        time_limit=CONVERSATION_LIMIT,
    )


async def dial_her(client: Client, settings: Settings, key: EffectKey, live: Live) -> CallInstance:
    conference, her_key = str(key), str(key.but("call"))
    return await dial(
        client,
        settings,
        to=live.to,
        from_=settings.twilio_from_number,
        twiml=twiml.join(conference, say=live.notice, record=live.record, ends_call=True),
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback=callback_url(settings, "amd", key=her_key),
        status_callback=callback_url(settings, "status", key=her_key),
        status_callback_event=EVENTS,
        timeout=settings.call_ring_seconds,
        time_limit=CONVERSATION_LIMIT,
    )


async def _pressed(client: Client, settings: Settings, sid: str, key: str, run_id: UUID) -> tuple[str | None, str]:
    """The key the recruiter pressed on this leg (None: the leg ended first), and its status."""
    give_up = asyncio.get_running_loop().time() + settings.call_patience_seconds
    status = ""
    while asyncio.get_running_loop().time() < give_up:
        digits = await read_input(key, run_id=run_id)
        if digits is not None:
            return str(digits), status
        status = str((await fetch(client, settings, sid)).status)
        if status in FINAL:  # a key pressed just before hanging up is stored by now
            digits = await read_input(key, run_id=run_id)
            return (str(digits) if digits is not None else None), status
        await asyncio.sleep(0.5)
    await hang_up_quietly(client, settings, sid)
    return None, "no-answer"


async def _until_one_ends(client: Client, her_sid: str, ring_sid: str, settings: Settings) -> None:
    """Follow the conversation; when one side hangs up, end the other's leg too."""
    give_up = asyncio.get_running_loop().time() + CONVERSATION_LIMIT
    while asyncio.get_running_loop().time() < give_up:
        her, ring = await fetch(client, settings, her_sid), await fetch(client, settings, ring_sid)
        if her.status in FINAL or ring.status in FINAL:
            break
        await asyncio.sleep(0.5)
    for sid in (her_sid, ring_sid):
        await hang_up_quietly(client, settings, sid)


async def _read_soon(key: str, run_id: UUID, *, seconds: float = 5.0) -> str | None:
    for _ in range(int(seconds / 0.5)):
        found = await read_input(key, run_id=run_id)
        if found is not None:
            return str(found)
        await asyncio.sleep(0.5)
    return None


def _miss_of(status: str) -> RingOutcome:
    return {"busy": RingOutcome.busy, "failed": RingOutcome.failed}.get(status, RingOutcome.no_answer)


def _missed(key: EffectKey, ring: RingOutcome, why: str, *, sid: str | None = None) -> BridgedCall:
    line = done(key, f"{MISSED} ({why})", event="recruiter-missed", ring=ring.value)
    return BridgedCall(**line.model_dump(), outcome=CallOutcome.no_answer, ring=ring, recruiter_sid=sid)
