"""Sandbox candidates who answer later: after her email she clicks, texts, calls back, or the
recruiter records what she said on the form we sent after the call, each through the inbound
service (``web/``) as in production.

Reads the ledger to see what each scripted candidate has received, then answers her way: opens
the link in her email and presses the button (or asks for another time there and picks one of
the times offered), texts YES or NO to our number (the sandbox Twilio
posts the signed webhook), calls back and presses 1 or 2, or the recruiter posts her answer.
After her interview a panel member reports on her day from the form we emailed (``day``).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from pathlib import Path

import httpx

from config.round import Candidate, HiringRound
from sandbox.behaviours import ScriptedReply, load_scripts
from sandbox.ledger import Effect, Ledger

LINK = re.compile(r"(https?://\S+/r/\S+)")
FORM = re.compile(r"(https?://\S+/recruiter/calls/\S+)")
PANEL_FORM = re.compile(r"(https?://\S+/panel/reports/\S+)")


class ScriptedRepliers:
    def __init__(
        self, round_: HiringRound, ledger: Ledger, *, scripts_path: Path, web_url: str, twilio_url: str
    ) -> None:
        self.round = round_
        self.ledger = ledger
        self.scripts = load_scripts(scripts_path)
        self.web_url, self.twilio_url = web_url.rstrip("/"), twilio_url.rstrip("/")
        self.replied: set[str] = set()
        self.reported: set[str] = set()  # the panel's reports, by "<candidate>.<move>"
        self.deliveries: list[asyncio.Task[None]] = []

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Start every reply that is due; returns the candidates who just replied."""
        now = now or datetime.now(timezone.utc)
        sent = []
        for candidate in self.round.candidates:
            script = self.scripts.get(candidate.phone)
            if script is None or script.reply is None or candidate.id in self.replied:
                continue
            emails = [
                e
                for e in self.ledger.effects(round_id=self.round.id, candidate_id=candidate.id)
                if e.channel == "email" and e.attempt == script.reply.after_attempt and e.recipient == candidate.email
            ]
            if not emails or now - emails[0].at < script.reply.delay:
                continue
            self.deliveries.append(asyncio.create_task(self.answer(candidate, script.reply, emails[0])))
            self.replied.add(candidate.id)
            sent.append(candidate.id)
        return sent + self._report_on_the_day()

    def _report_on_the_day(self) -> list[str]:
        """A panel member reports on each scripted candidate's day once asked (her latest time)."""
        reported = []
        for candidate in self.round.candidates:
            script = self.scripts.get(candidate.phone)
            effects = self.ledger.effects(round_id=self.round.id, candidate_id=candidate.id)
            asked = sorted((e for e in effects if ".report-ask-" in e.key), key=lambda e: e.attempt)
            if (
                script is None
                or script.day is None
                or not asked
                or f"{candidate.id}.{asked[-1].attempt}" in self.reported
            ):
                continue
            [link] = PANEL_FORM.findall(asked[-1].body["body"])
            member = next(s.name for s in self.round.staff if s.email == asked[-1].recipient)
            self.deliveries.append(asyncio.create_task(_post_form(link, script.day.form() | {"by": member})))
            self.reported.add(f"{candidate.id}.{asked[-1].attempt}")
            reported.append(f"{candidate.id}'s panel")
        return reported

    async def answer(self, candidate: Candidate, reply: ScriptedReply, email: Effect) -> None:
        yes = reply.outcome == "confirm"
        async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
            if reply.via == "link" and reply.outcome == "another-time":
                await pick_another_time(http, LINK.findall(email.body["body"])[2], pick=reply.pick)
            elif reply.via == "link":
                confirm, decline, *_ = LINK.findall(email.body["body"])
                link = confirm if yes else decline
                (await http.get(link)).raise_for_status()  # she reads her page, then presses the button
                (await http.post(link, data={"choice": reply.outcome})).raise_for_status()
            elif reply.via == "sms":
                text = {"from": candidate.phone, "body": "YES" if yes else "NO"}
                (await http.post(f"{self.twilio_url}/sandbox/inbound-sms", json=text)).raise_for_status()
            elif reply.via == "call":
                call = {"from": candidate.phone, "digits": "1" if yes else "2"}
                (await http.post(f"{self.twilio_url}/sandbox/inbound-call", json=call)).raise_for_status()
            else:
                await self.record_call(http, candidate, reply)

    async def record_call(self, http: httpx.AsyncClient, candidate: Candidate, reply: ScriptedReply) -> None:
        """The recruiter who talked to her opens the form's link from the email we sent right after
        the call and records it (or, with no such email, posts to the recruiter endpoint)."""
        said = {
            "decision": reply.outcome,
            "enthusiasm": str(reply.enthusiasm),
            "professionalism": str(reply.professionalism),
        }
        said |= {"questions": "Asked about parking: two visitor spaces.", "notes": "played by the sandbox"}
        if await record_on_form(http, self.ledger, self.round.id, candidate.id, attempt=reply.after_attempt, said=said):
            return
        recorded: dict[str, str | int] = {"round_id": self.round.id, "candidate_id": candidate.id, **said}
        recorded |= {"enthusiasm": reply.enthusiasm, "professionalism": reply.professionalism}
        headers = {"Authorization": "Bearer sandbox", "Idempotency-Key": f"{self.round.id}.{candidate.id}"}
        (await http.post(f"{self.web_url}/recruiter/replies", json=recorded, headers=headers)).raise_for_status()


async def _post_form(link: str, said: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as http:
        (await http.get(link)).raise_for_status()
        (await http.post(link, data=said)).raise_for_status()


async def pick_another_time(http: httpx.AsyncClient, link: str, *, pick: int, patience: float = 300) -> None:
    """On her page: asks for another time, waits for the times her run offers, picks one."""
    (await http.post(link, data={"choice": "another-time"})).raise_for_status()
    give_up = asyncio.get_running_loop().time() + patience
    while "Book this time" not in (await http.get(link)).text:
        if asyncio.get_running_loop().time() > give_up:
            raise TimeoutError(f"her page offered no times in {patience:.0f} s")
        await asyncio.sleep(1)
    (await http.post(link, data={"choice": "pick", "slot": str(pick)})).raise_for_status()


async def record_on_form(
    http: httpx.AsyncClient, ledger: Ledger, round_id: str, candidate_id: str, *, attempt: int, said: dict[str, str]
) -> bool:
    """The recruiter opens the form from the email sent after the call, and records it; False
    when no such email was sent."""
    effects = ledger.effects(round_id=round_id, candidate_id=candidate_id)
    form = next((e for e in effects if e.key.endswith(f".{attempt}.recruiter-call")), None)
    if form is None:
        return False
    [link] = FORM.findall(form.body["body"])
    (await http.get(link)).raise_for_status()
    (await http.post(link, data=said)).raise_for_status()
    return True
