"""Phone boundary: the call (with answering-machine detection), the voicemail, the SMS, via Twilio.

A call is placed once per key even across crashes: before dialling we look for a call to her
number created since the attempt was planned (``since``, persisted by the flow), and adopt it.
Creation is paced across every run (``tasks.clients.pacing``) and retried only on 429. Then the task
follows the call until a person has finished with it, a machine has answered, or it ended
unanswered; her keypad choice arrives through ``web/`` as the run's input ``keypad-<attempt>``.

Events: ``secondround.candidate.called``, ``.voicemail-left``, ``.texted`` (and
``.voicemail-missed`` / ``.sms-failed`` when Twilio refuses; the flow falls back to email).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode
from uuid import UUID

from prefect import task
from prefect.runtime import flow_run
from twilio.rest import Client
from twilio.rest.api.v2010.account.call import CallInstance
from twilio.rest.api.v2010.account.message import MessageInstance

from config.errors import TerminalChannelError, TransientChannelError
from config.settings import Settings, get_settings
from tasks.clients import twiml
from tasks.clients.calls import FINAL
from tasks.clients.pacing import CallPacer, Pacer, SharedPacer
from tasks.clients.twilio import backing_off, twilio_client
from tasks.effects import EFFECT_TASK, Done, EffectKey, done, fault_point
from tasks.optouts import opted_out
from tasks.run_inputs import read_input

MACHINE = {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}


class CallOutcome(StrEnum):
    human = "human"
    machine = "machine"
    no_answer = "no-answer"
    busy = "busy"
    failed = "failed"
    unreachable = "unreachable"  # Twilio refused the number: email only


class CallResult(Done):
    outcome: CallOutcome
    digits: str | None = None
    sid: str | None = None


def outcome_of_call(status: str, answered_by: str | None) -> CallOutcome:
    """Twilio's status and AMD verdict as our outcome; an unknown verdict counts as a person."""
    if answered_by in MACHINE:
        return CallOutcome.machine
    if status in {"completed", "in-progress"}:
        return CallOutcome.human
    return {"busy": CallOutcome.busy, "no-answer": CallOutcome.no_answer}.get(status, CallOutcome.failed)


def callback_url(settings: Settings, path: str, **query: str | int) -> str:
    return f"{settings.public_base_url.rstrip('/')}/twilio/{path}?{urlencode(query)}"


async def find_call(client: Client, settings: Settings, *, to: str, since: datetime) -> CallInstance | None:
    """A call to her from us created since the attempt was planned: the one a crash left behind."""
    calls = await backing_off(  # one page, newest first: a crash leaves its call near the top
        lambda: client.calls.page_async(to=to, from_=settings.twilio_from_number, page_size=20),
        channel="phone",
        timeout=settings.twilio_timeout_seconds,
    )
    ours = [c for c in list(calls) if c.date_created and c.date_created >= since - timedelta(seconds=5)]
    return min(ours, key=lambda c: c.date_created) if ours else None


def call_pacer(settings: Settings) -> Pacer:
    """One pacer for every run: on this machine, or across machines sharing the state database."""
    if settings.state_url:
        return SharedPacer(settings.state_url, name="calls", per_second=settings.twilio_calls_per_second)
    return CallPacer(settings.state_dir / "pacing" / "calls", per_second=settings.twilio_calls_per_second)


async def dial(client: Client, settings: Settings, **params: object) -> CallInstance:
    pacer = call_pacer(settings)
    return await backing_off(
        lambda: client.calls.create_async(**params),
        channel="phone",
        timeout=settings.twilio_timeout_seconds,
        before_each=pacer.wait_turn,
    )


async def follow_call(client: Client, settings: Settings, sid: str) -> CallInstance:
    """Poll the call until it ends or a machine answers (then the voicemail must go in now)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + settings.call_patience_seconds
    while True:
        call = await backing_off(
            lambda: client.calls(sid).fetch_async(), channel="phone", timeout=settings.twilio_timeout_seconds
        )
        if call.status in FINAL or (call.status == "in-progress" and call.answered_by in MACHINE):
            return call
        if loop.time() > give_up:
            raise TerminalChannelError(
                "phone", f"call {sid} still {call.status} after {settings.call_patience_seconds} s"
            )
        await asyncio.sleep(0.5)


@task(name="call-candidate", **EFFECT_TASK)
async def call_candidate(
    key: EffectKey, *, to: str, script: str, since: datetime, voicemail: bool, recruiter: str, recruiter_phone: str
) -> CallResult:
    settings = get_settings()
    run_id = str(flow_run.get_id())
    keypad = callback_url(
        settings, "keypad", run=run_id, attempt=key.attempt, recruiter=recruiter, dial=recruiter_phone
    )
    fault_point(key, "before")
    async with twilio_client(settings) as client:
        try:
            call = await find_call(client, settings, to=to, since=since)
            if call is None:
                call = await place_call(client, settings, key, to=to, since=since, keypad=keypad, script=script)
        except TerminalChannelError as error:
            line = done(key, f"not called: {error}", event="called", outcome=CallOutcome.unreachable.value)
            return CallResult(**line.model_dump(), outcome=CallOutcome.unreachable)
        fault_point(key, "after")
        call = await follow_call(client, settings, str(call.sid))
        outcome = outcome_of_call(str(call.status), call.answered_by)
        if outcome is CallOutcome.machine and not voicemail:  # no consent: hang up on the machine
            await hang_up(client, settings, str(call.sid))
    digits = await read_input(f"keypad-{key.attempt}", run_id=UUID(run_id))  # also a run she pressed it to that died
    digits = str(digits) if outcome is CallOutcome.human and digits else None
    detail = f"called {to}: {outcome.value}" + (f", pressed {digits}" if digits else "")
    line = done(key, detail, event="called", outcome=outcome.value, digits=digits, call_sid=call.sid)
    return CallResult(**line.model_dump(), outcome=outcome, digits=digits, sid=call.sid)


async def place_call(
    client: Client, settings: Settings, key: EffectKey, *, to: str, since: datetime, keypad: str, script: str
) -> CallInstance:
    """Dial; after an ambiguous failure (5xx, timeout) look before dialling again."""
    try:
        return await dial(
            client,
            settings,
            to=to,
            from_=settings.twilio_from_number,
            twiml=twiml.invitation(script, keypad_url=keypad),
            machine_detection="DetectMessageEnd",
            async_amd="true",
            async_amd_status_callback=callback_url(settings, "amd", key=str(key)),
            status_callback=callback_url(settings, "status", key=str(key)),
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            timeout=settings.call_ring_seconds,
            time_limit=900,
        )
    except TransientChannelError:
        found = await find_call(client, settings, to=to, since=since)
        if found is None:
            raise  # never created: the task's retry dials again
        return found


@task(name="leave-voicemail", **EFFECT_TASK)
async def leave_voicemail(key: EffectKey, *, call_sid: str, to: str, message: str) -> Done:
    """Play the message to her machine: the call is still live, just past the beep."""
    settings = get_settings()
    fault_point(key, "before")
    async with twilio_client(settings) as client:
        try:
            await play_voicemail(client, settings, call_sid, message)
        except TerminalChannelError as error:
            return done(key, f"voicemail not left on {to}: {error}", event="voicemail-missed")
    fault_point(key, "after")
    return done(key, f"voicemail left on {to}", event="voicemail-left", call_sid=call_sid)


@task(name="send-sms", **EFFECT_TASK)
async def send_sms(key: EffectKey, *, to: str, body: str) -> Done:
    """Text her, unless a crash left this very message (same body, links and all) already sent."""
    settings = get_settings()
    fault_point(key, "before")
    if await opted_out(to):
        return done(key, f"no SMS to {to}: she texted STOP", event="sms-opted-out")
    async with twilio_client(settings) as client:
        if await already_texted(client, settings, to=to, body=body):
            return done(key, f"SMS to {to} was already sent", event="texted")
        try:
            message = await text(client, settings, key, to=to, body=body)
        except TerminalChannelError as error:
            return done(key, f"SMS not sent to {to}: {error}", event="sms-failed")
    fault_point(key, "after")
    return done(key, f"SMS sent to {to}", event="texted", message_sid=message.sid)


async def hang_up(client: Client, settings: Settings, sid: str) -> None:
    await backing_off(
        lambda: client.calls(sid).update_async(status="completed"),
        channel="phone",
        timeout=settings.twilio_timeout_seconds,
    )


async def play_voicemail(client: Client, settings: Settings, sid: str, message: str) -> None:
    await backing_off(
        lambda: client.calls(sid).update_async(twiml=twiml.voicemail(message)),
        channel="voicemail",
        timeout=settings.twilio_timeout_seconds,
    )


async def already_texted(client: Client, settings: Settings, *, to: str, body: str) -> bool:
    """The same body (its signed links make it unique to this attempt) already went to her."""
    sent = await backing_off(
        lambda: client.messages.page_async(to=to, from_=settings.twilio_from_number, page_size=20),
        channel="sms",
        timeout=settings.twilio_timeout_seconds,
    )
    return any(m.body == body for m in list(sent))


async def text(client: Client, settings: Settings, key: EffectKey, *, to: str, body: str) -> MessageInstance:
    return await backing_off(
        lambda: client.messages.create_async(
            to=to,
            from_=settings.twilio_from_number,
            body=body,
            status_callback=callback_url(settings, "sms-status", key=str(key)),
        ),
        channel="sms",
        timeout=settings.twilio_timeout_seconds,
    )
