"""A Twilio-compatible API for the demo and the tests: the part of 2010-04-01 that we use.

Calls (create, fetch, update, list) and Messages (create), with Basic auth, a calls-per-second
limit answered by 429 / 20429, and candidates played from the behaviours file: she answers and
presses a key on the Gather's action URL, her voicemail picks up and waits for our update,
nobody answers, the line is busy, the number is invalid. Every callback is signed exactly as
Twilio signs it (``X-Twilio-Signature``). Every request is kept for ``GET /sandbox/requests``,
and each call, voicemail and SMS is written to the sandbox ledger under the business key our
callback URLs carry, so a test can see whether anyone was rung twice.

The HTTP face is ``sandbox/twilio_api.py``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit
from uuid import uuid4
from xml.etree import ElementTree

import httpx
from twilio.request_validator import RequestValidator

from config.settings import Settings
from sandbox.behaviours import CallBehaviour, script_for
from sandbox.conference import Conferences, conference_of
from sandbox.ledger import Ledger
from sandbox.ratelimit import Bucket

log = logging.getLogger("sandbox.twilio")
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
KEYS = {CallBehaviour.answer_confirm: "1", CallBehaviour.answer_decline: "2", CallBehaviour.answer_recruiter: "0"}
KEYS |= {CallBehaviour.slow_answer: "1", CallBehaviour.lost_response: "1"}
ON_THE_LINE = {CallBehaviour.connect, CallBehaviour.connect_play_recording}  # the recruiter presses 1
KEYS |= dict.fromkeys(ON_THE_LINE, "1")
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
RINGING = {CallBehaviour.no_answer: ("no-answer", 1.5), CallBehaviour.busy: ("busy", 0.3)}
RINGING |= {CallBehaviour.failed: ("failed", 0.2)}


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment, usegmt=True) if moment else None


class SandboxTwilio:
    def __init__(self, settings: Settings, *, cps: float | None = None) -> None:
        self.settings = settings
        self.ledger = Ledger(settings.sandbox_dir)
        self.bucket = Bucket(cps or settings.twilio_calls_per_second)
        self.calls: dict[str, dict[str, Any]] = {}
        self.updates: dict[str, asyncio.Queue[dict[str, str]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.signer = RequestValidator(settings.twilio_auth_token.get_secret_value())
        self.tasks: set[asyncio.Task[None]] = set()
        self.http: httpx.AsyncClient | None = None
        self.opted_out: set[str] = set()  # Twilio refuses to text a number that sent STOP (21610)
        self.conferences = Conferences(self)

    def _ledger_key(self, url: str | None, step: str | None = None) -> tuple[str, str, str, int] | None:
        """(key, round, candidate, attempt) from the ``key`` our callback URLs carry."""
        key = dict(parse_qsl(urlsplit(url or "").query)).get("key")
        if not key or key.count(".") < 3:
            return None
        round_id, candidate_id, attempt, own = key.rsplit(".", 3)
        return f"{round_id}.{candidate_id}.{attempt}.{step or own}", round_id, candidate_id, int(attempt)

    def record(self, url: str | None, *, channel: str, to: str, body: dict[str, Any], step: str | None = None) -> None:
        found = self._ledger_key(url, step)
        if found:
            key, round_id, candidate_id, attempt = found
            self.ledger.record(
                key,
                channel=channel,
                round_id=round_id,
                candidate_id=candidate_id,
                attempt=attempt,
                recipient=to,
                body=body,
            )

    def create_call(self, form: dict[str, list[str]]) -> tuple[dict[str, Any], CallBehaviour]:
        one = {k: v[-1] for k, v in form.items()} | {
            "StatusCallbackEvent": " ".join(form.get("StatusCallbackEvent", []))
        }
        found = self._ledger_key(one.get("StatusCallback"))
        rings = 1 + sum(c["to"] == one["To"] for c in self.calls.values())
        # her calls are scripted by attempt, the recruiter's phone by ring
        attempt = found[3] if found and not found[0].split(".")[-1].startswith("ring-") else rings
        behaviour = script_for(self.settings.sandbox_behaviours, one["To"]).call(attempt)
        now = datetime.now(timezone.utc)
        call: dict[str, Any] = {
            "sid": "CA" + uuid4().hex,
            "account_sid": self.settings.twilio_account_sid,
            "to": one["To"],
            "from": one["From"],
            "status": "queued",
            "direction": "outbound-api",
            "answered_by": None,
            "api_version": "2010-04-01",
            "date_created": now,
            "date_updated": now,
            "start_time": None,
            "end_time": None,
            "form": one,
        }
        sid = str(call["sid"])
        self.calls[sid] = call
        self.updates[sid] = asyncio.Queue()
        self.record(one.get("StatusCallback"), channel="call", to=one["To"], body={"twiml": one.get("Twiml", "")})
        task = asyncio.create_task(self.play(call, behaviour))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return call, behaviour

    def resource(self, call: dict[str, Any]) -> dict[str, Any]:
        uri = f"/2010-04-01/Accounts/{call['account_sid']}/Calls/{call['sid']}.json"
        shown = {k: v for k, v in call.items() if k != "form"}
        times = ("date_created", "date_updated", "start_time", "end_time")
        return shown | {k: rfc2822(call[k]) for k in times} | {"uri": uri}

    async def callback(self, url: str | None, params: dict[str, str]) -> str | None:
        """POST to one of our callback URLs, signed like Twilio; returns the body (TwiML) or None."""
        if not url:
            return None
        signature = self.signer.compute_signature(url, params)
        if self.http is None:  # one client: building one per callback costs the loop tens of ms
            self.http = httpx.AsyncClient(timeout=10)
        try:
            answer = await self.http.post(url, data=params, headers={"X-Twilio-Signature": signature})
        except httpx.HTTPError as error:
            log.warning("callback %s failed: %s", url, error)
            return None
        self.requests.append({"at": time.time(), "callback": url, "status": answer.status_code, "params": params})
        return answer.text if answer.status_code < 300 else None

    async def status(self, call: dict[str, Any], status: str, event: str) -> None:
        call["status"], call["date_updated"] = status, datetime.now(timezone.utc)
        if status in FINAL:
            call["end_time"] = call["date_updated"]
        form = call["form"]
        if event in form.get("StatusCallbackEvent", "completed").split() or event == "completed":
            params = {"CallSid": call["sid"], "CallStatus": status, "To": call["to"], "From": call["from"]}
            await self.callback(form.get("StatusCallback"), params | {"AccountSid": call["account_sid"]})
        if status in FINAL:
            await self.conferences.ended(call)

    async def play(self, call: dict[str, Any], behaviour: CallBehaviour) -> None:
        form = call["form"]
        await asyncio.sleep(0.2)
        await self.status(call, "ringing", "ringing")
        if behaviour in RINGING:
            final, ring = RINGING[behaviour]
            await asyncio.sleep(ring)
            await self.status(call, final, "completed")
            return
        await asyncio.sleep(6.0 if behaviour is CallBehaviour.slow_answer else 0.4)
        call["start_time"] = datetime.now(timezone.utc)
        machine = behaviour is CallBehaviour.voicemail
        call["answered_by"] = "machine_end_beep" if machine else "human"
        await self.status(call, "in-progress", "answered")
        amd = {"CallSid": call["sid"], "AnsweredBy": call["answered_by"], "MachineDetectionDuration": "2400"}
        await self.callback(form.get("AsyncAmdStatusCallback"), amd)
        if conference_of(form.get("Twiml")):  # the recruiter's live call: her leg joins the conference
            self.conferences.join(call, conference_of(form.get("Twiml")) or "")
        if machine:
            await self.machine(call)
        elif conference_of(form.get("Twiml")):
            await self.conferences.talk(call)  # she answered the recruiter's live call
        elif behaviour in KEYS:
            answer = await self.press(call, KEYS[behaviour])
            if behaviour in ON_THE_LINE and answer:
                await self.conferences.on_the_line(call, answer, behaviour)
        await asyncio.sleep(0.3)
        if call["status"] not in FINAL:
            await self.status(call, "completed", "completed")

    async def press(self, call: dict[str, Any], digits: str) -> str | None:
        """Press a key at the call's Gather; returns what our webhook answered (TwiML)."""
        gather = ElementTree.fromstring(call["form"].get("Twiml", "<Response/>")).find("Gather")
        if gather is None:
            return None
        await asyncio.sleep(0.3)
        params = {"CallSid": call["sid"], "Digits": digits, "To": call["to"], "From": call["from"]}
        answer = await self.callback(gather.get("action"), params)
        dialled = (ElementTree.fromstring(answer).findtext("Dial") or "").strip() if answer else None
        if dialled:
            self.record(call["form"].get("StatusCallback"), channel="dial", to=dialled, body={}, step="dial")
        return answer

    async def machine(self, call: dict[str, Any]) -> None:
        """Her answering machine records whatever we play, for up to 3 minutes, or until we hang up."""
        try:
            async with asyncio.timeout(180):
                await self.updates[call["sid"]].get()  # the voicemail was recorded as it came in
        except TimeoutError:
            return
        await self.status(call, "completed", "completed")

    async def update(self, call: dict[str, Any], update: dict[str, str]) -> None:
        """Our update of a live call: TwiML for her machine is recorded as it comes in."""
        if "Twiml" in update and call["answered_by"] == "machine_end_beep":
            said = " ".join(t.text or "" for t in ElementTree.fromstring(update["Twiml"]).iter("Say"))
            to, url = call["to"], call["form"].get("StatusCallback")
            self.record(url, channel="voicemail", to=to, body={"said": said}, step="voicemail")
        await self.updates[call["sid"]].put(update)

    async def text_in(self, sender: str, body: str, *, sid: str | None = None) -> str | None:
        """She texts our number: Twilio's inbound SMS webhook, signed; returns our TwiML."""
        if body.strip().lower() in STOP_WORDS:
            self.opted_out.add(sender)
        params = {
            "MessageSid": sid or "SM" + uuid4().hex,
            "AccountSid": self.settings.twilio_account_sid,
            "From": sender,
            "To": self.settings.twilio_from_number,
            "Body": body,
            "NumMedia": "0",
        }
        return await self.callback(self.settings.public_base_url.rstrip("/") + "/twilio/sms", params)

    async def call_in(self, sender: str, digits: str) -> list[str | None]:
        """She calls our number and, if asked, presses ``digits``; returns each TwiML we got."""
        url = self.settings.public_base_url.rstrip("/") + "/twilio/voice"
        params = {
            "CallSid": "CA" + uuid4().hex,
            "AccountSid": self.settings.twilio_account_sid,
            "From": sender,
            "To": self.settings.twilio_from_number,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        first = await self.callback(url, params)
        gather = ElementTree.fromstring(first).find("Gather") if first else None
        if gather is None or not digits:
            return [first]
        return [first, await self.callback(urljoin(url, gather.get("action", "")), params | {"Digits": digits})]
