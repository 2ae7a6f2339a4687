"""The sandbox Twilio's live calls: the recruiter on the line, and the conference both legs join.

The recruiter's phone is scripted like a candidate's (``sandbox/behaviours.py``), by ring rather
than by attempt: ``connect`` answers and presses 1 on the whisper and, when her voicemail answers,
1 to leave a message of their own; ``connect-play-recording`` presses 2 there instead;
``answer-decline`` presses 2 on the whisper; ``answer-hangup``, ``no-answer``, ``busy`` and
``failed`` miss the call. In the conference she talks for a moment and hangs up, which ends the
conference; the recruiter's leg then ends too. A message the recruiter speaks to her machine is
written to the ledger as her attempt's ``voicemail``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol
from xml.etree import ElementTree

from sandbox.behaviours import CallBehaviour

ENDED = {"_conference": "ended"}
MACHINE_KEYS = {CallBehaviour.connect_play_recording: "2"}
TALK_SECONDS = 1.0


def conference_of(xml: str | None) -> str | None:
    """The conference a TwiML document joins, if any."""
    if not xml:
        return None
    found = ElementTree.fromstring(xml).find("Dial/Conference")
    return (found.text or "").strip() if found is not None else None


class Switchboard(Protocol):
    """What a conference needs of the sandbox Twilio (``sandbox.twilio.SandboxTwilio``)."""

    calls: dict[str, dict[str, Any]]
    updates: dict[str, asyncio.Queue[dict[str, str]]]

    async def callback(self, url: str | None, params: dict[str, str]) -> str | None: ...

    def record(
        self, url: str | None, *, channel: str, to: str, body: dict[str, Any], step: str | None = None
    ) -> None: ...


class Conferences:
    def __init__(self, twilio: Switchboard) -> None:
        self.twilio = twilio
        self.members: dict[str, set[str]] = {}

    def join(self, call: dict[str, Any], name: str) -> None:
        call["conference"] = name
        self.members.setdefault(name, set()).add(call["sid"])

    async def ended(self, call: dict[str, Any]) -> None:
        """A leg ended: if it was hers (her TwiML ends the conference), the others are told."""
        name = call.get("conference")
        if not name or conference_of(call["form"].get("Twiml")) is None:
            return
        for sid in self.members.get(name, set()) - {call["sid"]}:
            await self.twilio.updates[sid].put(ENDED)

    async def talk(self, call: dict[str, Any]) -> None:
        """She answered a live call: she and the recruiter talk, then she hangs up."""
        await asyncio.sleep(TALK_SECONDS)

    async def on_the_line(self, call: dict[str, Any], answer: str, behaviour: CallBehaviour) -> None:
        """The recruiter pressed 1 and is in the conference until it ends or we steer the leg."""
        name = conference_of(answer)
        if name is None:
            return  # a goodbye: the recruiter hangs up
        self.join(call, name)
        while True:
            try:
                async with asyncio.timeout(180):
                    update = await self.twilio.updates[call["sid"]].get()
            except TimeoutError:
                return
            if update is ENDED or update.get("Status") == "completed" or "Twiml" not in update:
                return
            gather = ElementTree.fromstring(update["Twiml"]).find("Gather")
            if gather is None:
                return  # told how it ended: hangs up
            await self.at_her_machine(call, name, gather.get("action"), MACHINE_KEYS.get(behaviour, "1"))
            return

    async def at_her_machine(self, call: dict[str, Any], name: str, action: str | None, digits: str) -> None:
        """The voicemail prompt: 1 speaks a message to her machine, 2 leaves it to us."""
        params = {"CallSid": call["sid"], "Digits": digits, "To": call["to"], "From": call["from"]}
        answer = await self.twilio.callback(action, params)
        if conference_of(answer) is None:
            return
        for sid in self.members.get(name, set()) - {call["sid"]}:
            her = self.twilio.calls[sid]
            said = {"said": "(the recruiter's own message)", "by": "recruiter"}
            url = her["form"].get("StatusCallback")
            self.twilio.record(url, channel="voicemail", to=her["to"], body=said, step="voicemail")
        await asyncio.sleep(TALK_SECONDS)
