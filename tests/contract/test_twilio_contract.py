"""Every request our phone adapter sends is valid against Twilio's published OpenAPI spec.

Prism (``@stoplight/prism-cli`` 5.14.2, installed by ``make prism`` from ``tools/prism``) serves
the spec and answers 422 to any request that breaks it. One adjustment, in a copy: Prism does not
read repeated form keys as an array (stoplight/prism#2473), yet that is how the twilio client
sends list parameters (``StatusCallbackEvent=initiated&StatusCallbackEvent=ringing...``), so every
array-typed property of a urlencoded request body becomes ``oneOf: [item, array of item]``. Nothing
else changes: names, types, formats and required fields are still checked.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from config.errors import TerminalChannelError
from config.settings import Settings
from sandbox.peers import PROJECT_DIR, free_port
from tasks.bridge import Live, dial_her, dial_recruiter
from tasks.clients import twiml
from tasks.clients.calls import hang_up_quietly, steer, tell
from tasks.clients.twilio import backing_off, twilio_client
from tasks.effects import EffectKey
from tasks.phone import already_texted, find_call, follow_call, hang_up, place_call, play_voicemail, text

SPEC = Path(__file__).parent / "twilio" / "twilio_api_v2010.json"
PRISM = PROJECT_DIR / "tools" / "prism" / "node_modules" / ".bin" / "prism"
ACCOUNT = "AC" + "1" * 32
KEY = EffectKey(round_id="contract", candidate_id="zoe", attempt=1, step="call")


def loosened(spec: dict[str, Any]) -> dict[str, Any]:
    """Accept a single value or a list wherever a urlencoded body declares an array (prism#2473)."""
    for operations in spec["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            form = operation.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded")
            for name, schema in (form or {}).get("schema", {}).get("properties", {}).items():
                if schema.get("type") == "array":
                    form["schema"]["properties"][name] = {"oneOf": [schema["items"], schema]}
    return spec


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PRISM.exists():
        pytest.fail(f"Prism is not installed at {PRISM}: run `make prism` (npm, Node 20)")
    spec = tmp_path_factory.mktemp("spec") / "twilio_api_v2010.prism.json"
    spec.write_text(json.dumps(loosened(json.loads(SPEC.read_text(encoding="utf-8")))), encoding="utf-8")
    port = free_port()
    log = spec.with_suffix(".log").open("wb")
    proc = subprocess.Popen([str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def settings(prism: str, tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path,
        twilio_api_base_url=prism,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=SecretStr("contract-token"),
        twilio_from_number="+15005550006",
        public_base_url="https://hr.example.org",
    )


def test_the_call_we_place_is_valid(settings: Settings) -> None:
    async def place() -> Any:
        async with twilio_client(settings) as client:
            since = datetime.now(timezone.utc)
            url = "https://hr.example.org/twilio/keypad?run=1&attempt=1"
            return await place_call(client, settings, KEY, to="+14155550100", since=since, keypad=url, script="Hi")

    assert str(asyncio.run(place()).sid).startswith("CA")


def test_looking_up_following_and_updating_calls_are_valid(settings: Settings) -> None:
    async def rest() -> None:
        async with twilio_client(settings) as client:
            await find_call(client, settings, to="+14155550100", since=datetime.now(timezone.utc))
            call = await follow_call(client, settings, "CA" + "a" * 32)
            assert call.status  # Prism answers with the spec's example, already final
            await play_voicemail(client, settings, "CA" + "a" * 32, "Hello, please check your email.")
            await hang_up(client, settings, "CA" + "a" * 32)

    asyncio.run(rest())


def test_the_recruiters_live_call_is_valid_leg_by_leg(settings: Settings) -> None:
    """The recruiter's ring with its whisper, her leg into the conference (machine detection,
    recording), and the prompt and goodbye sent to a live leg."""
    live = Live(
        to="+14155550100",
        recruiter_phone="+14155550199",
        whisper="Second-interview call to Zoe Test, Backend round. Press 1 to connect.",
        notice="Hello Zoe, this call is recorded.",
        record=True,
        voicemail=True,
        since=datetime.now(timezone.utc),
    )
    ring = KEY.but("ring-1")

    async def legs() -> None:
        async with twilio_client(settings) as client:
            recruiter = await dial_recruiter(client, settings, ring, live, run="6f1c0c4e-0000-4000-8000-000000000001")
            her = await dial_her(client, settings, ring, live)
            assert str(recruiter.sid).startswith("CA") and str(her.sid).startswith("CA")
            action = "https://hr.example.org/twilio/machine?key=x&run=y"
            await steer(client, settings, "CA" + "b" * 32, twiml.machine_prompt(action=action, recording=True))
            await tell(client, settings, "CA" + "b" * 32, "She did not answer. Goodbye.")
            await hang_up_quietly(client, settings, "CA" + "b" * 32)

    asyncio.run(legs())


def test_the_sms_and_its_lookup_are_valid(settings: Settings) -> None:
    async def sms() -> None:
        async with twilio_client(settings) as client:
            await already_texted(client, settings, to="+14155550100", body="Confirm: https://hr.example.org/r/x")
            message = await text(client, settings, KEY, to="+14155550100", body="Confirm: https://hr.example.org/r/x")
            assert str(message.sid).startswith(("SM", "MM"))

    asyncio.run(sms())


def test_prism_does_reject_what_the_spec_forbids(settings: Settings) -> None:
    """The check has teeth: a call without From and a non-numeric Timeout are refused."""

    async def bad() -> None:
        async with twilio_client(settings) as client:
            await backing_off(
                lambda: client.calls.create_async(to="+14155550100", from_="", url="https://x.example", timeout="abc"),
                channel="phone",
                timeout=10,
            )

    with pytest.raises(TerminalChannelError, match="422"):
        asyncio.run(bad())
