"""The phone adapter through the official twilio client against the sandbox Twilio, over HTTP.

Outcomes of every scripted behaviour, 429 back-off, the ambiguous 500 that must not ring her
twice, refused numbers, credentials, and the signed callbacks the web service accepts.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from config.errors import TerminalChannelError, TransientChannelError
from sandbox.peers import SANDBOX_TOKEN
from tasks.clients.twilio import backing_off, twilio_client
from tasks.effects import EffectKey
from tasks.phone import CallOutcome, follow_call, outcome_of_call, place_call
from tests.conftest import Peers


def key(n: str, step: str = "call") -> EffectKey:
    return EffectKey(round_id="adapters", candidate_id=f"c{n[-3:]}", attempt=1, step=step)


async def dial(peers: Peers, to: str) -> Any:
    since = datetime.now(timezone.utc)
    async with twilio_client(peers.settings) as client:
        call = await place_call(
            client, peers.settings, key(to), to=to, since=since, keypad=f"{peers.web_url}/twilio/keypad", script="Hi"
        )
        return await follow_call(client, peers.settings, str(call.sid))


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("+12025550101", CallOutcome.human),
        ("+12025550103", CallOutcome.human),
        ("+12025550104", CallOutcome.machine),
        ("+12025550105", CallOutcome.no_answer),
        ("+12025550106", CallOutcome.busy),
        ("+12025550107", CallOutcome.failed),
        ("+12025550108", CallOutcome.human),
    ],
)
def test_each_behaviour_reaches_us_as_a_typed_outcome(peers: Peers, to: str, expected: CallOutcome) -> None:
    call = asyncio.run(dial(peers, to))
    assert outcome_of_call(str(call.status), call.answered_by) is expected


def test_the_call_carries_detection_callbacks_and_the_invitation(peers: Peers) -> None:
    asyncio.run(dial(peers, "+12025550101"))
    create = [r for r in peers.requests() if r.get("method") == "POST" and r["form"].get("To") == ["+12025550101"]]
    form = create[-1]["form"]
    assert form["MachineDetection"] == ["DetectMessageEnd"] and form["AsyncAmd"] == ["true"]
    assert form["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    assert int(form["Timeout"][0]) >= 25  # long enough for her voicemail to pick up
    assert "<Gather" in form["Twiml"][0] and 'numDigits="1"' in form["Twiml"][0]
    # every callback was signed as Twilio signs it, and the web service accepted it
    callbacks = [r for r in peers.requests() if "callback" in r and "/twilio/status" in r["callback"]]
    assert callbacks and all(r["status"] == 204 for r in callbacks)


def test_a_lost_response_is_looked_up_not_redialled(peers: Peers) -> None:
    call = asyncio.run(dial(peers, "+12025550109"))
    assert outcome_of_call(str(call.status), call.answered_by) is CallOutcome.human
    creates = [r for r in peers.requests() if r.get("method") == "POST" and r["form"].get("To") == ["+12025550109"]]
    assert [r["status"] for r in creates] == [500]  # one ring, although the create "failed"


def test_an_invalid_number_is_terminal_for_the_phone(peers: Peers) -> None:
    with pytest.raises(TerminalChannelError, match="21217"):
        asyncio.run(dial(peers, "+12025550110"))


def test_a_voicemail_goes_in_while_the_machine_listens_and_not_after(peers: Peers) -> None:
    async def play() -> None:
        call = await dial(peers, "+12025550111")
        async with twilio_client(peers.settings) as client:
            await client.calls(call.sid).update_async(twiml="<Response><Say>Hello</Say><Hangup/></Response>")
            await asyncio.sleep(1.0)
            assert (await client.calls(call.sid).fetch_async()).status == "completed"
            with pytest.raises(TerminalChannelError, match="21220"):
                await backing_off(
                    lambda: client.calls(call.sid).update_async(twiml="<Response/>"), channel="voicemail", timeout=5
                )

    asyncio.run(play())


def test_rate_limited_requests_back_off_and_each_call_is_made_once(peers: Peers) -> None:
    """Unpaced, four creates at once exceed 1 CPS: 429s, retried with jitter, one call each."""

    async def create(n: int) -> str:
        async with twilio_client(peers.settings) as client:
            call = await backing_off(
                lambda: client.calls.create_async(to=f"+1202555020{n}", from_="+15005550006", twiml="<Response/>"),
                channel="phone",
                timeout=5,
                attempts=10,
            )
            return str(call.sid)

    async def all_four() -> list[str]:
        return await asyncio.gather(*(create(n) for n in range(4)))

    assert len(set(asyncio.run(all_four()))) == 4
    creates = [
        r
        for r in peers.requests()
        if r.get("method") == "POST" and r["form"].get("To", [""])[0].startswith("+1202555020")
    ]
    assert sum(r["status"] == 429 for r in creates) >= 1
    assert sum(r["status"] == 201 for r in creates) == 4


def test_bad_credentials_are_refused(peers: Peers) -> None:
    wrong = peers.settings.model_copy(update={"twilio_auth_token": SecretStr("nope")})

    async def fetch() -> None:
        async with twilio_client(wrong) as client:
            await backing_off(lambda: client.calls.list_async(limit=1), channel="phone", timeout=5)

    with pytest.raises(TerminalChannelError, match="401"):
        asyncio.run(fetch())


def test_a_dead_endpoint_is_transient(peers: Peers) -> None:
    dead = peers.settings.model_copy(update={"twilio_api_base_url": "http://127.0.0.1:9"})

    async def fetch() -> None:
        async with twilio_client(dead) as client:
            await backing_off(lambda: client.calls.list_async(limit=1), channel="phone", timeout=5)

    with pytest.raises(TransientChannelError, match="cannot reach"):
        asyncio.run(fetch())


def test_the_web_service_refuses_forged_and_accepts_signed_webhooks(peers: Peers) -> None:
    import httpx

    url = f"{peers.web_url}/twilio/status?key=adapters.x.1.call"
    params = {"CallSid": "CA1", "CallStatus": "completed"}
    good = RequestValidator(SANDBOX_TOKEN).compute_signature(url, params)
    forged = RequestValidator("not-the-token").compute_signature(url, params)
    assert httpx.post(url, data=params, headers={"X-Twilio-Signature": good}).status_code == 204
    assert httpx.post(url, data=params, headers={"X-Twilio-Signature": forged}).status_code == 403
    assert httpx.post(url, data=params).status_code == 403
    tampered = params | {"CallStatus": "busy"}
    assert httpx.post(url, data=tampered, headers={"X-Twilio-Signature": good}).status_code == 403


def test_since_excludes_older_calls(peers: Peers) -> None:
    from tasks.phone import find_call

    async def look() -> Any:
        async with twilio_client(peers.settings) as client:
            later = datetime.now(timezone.utc) + timedelta(minutes=5)
            return await find_call(client, peers.settings, to="+12025550101", since=later)

    assert asyncio.run(look()) is None
