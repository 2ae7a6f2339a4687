"""Sandbox candidates who answer later: after her email, she clicks, texts or talks to the recruiter.

Reads the ledger to see what each scripted candidate has received and delivers her scripted
reply through ``flows.replies.deliver_reply``, the same door the web service uses.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

from config.round import HiringRound
from flows.models import Decision, Reply, ReplyChannel
from flows.replies import deliver_reply
from sandbox.behaviours import load_scripts
from sandbox.ledger import Ledger


class ScriptedRepliers:
    def __init__(self, round_: HiringRound, ledger: Ledger, *, scripts_path: Path) -> None:
        self.round = round_
        self.ledger = ledger
        self.scripts = load_scripts(scripts_path)
        self.replied: set[str] = set()
        self.deliveries: list[asyncio.Task[str]] = []

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Start delivering every reply that is due; returns the candidates who just replied."""
        now = now or datetime.now(timezone.utc)
        sent = []
        for candidate in self.round.candidates:
            script = self.scripts.get(candidate.phone)
            if script is None or script.reply is None or candidate.id in self.replied:
                continue
            emails = [
                e
                for e in self.ledger.effects(round_id=self.round.id, candidate_id=candidate.id)
                if e.channel == "email" and e.attempt == script.reply.after_attempt
            ]
            if not emails or now - emails[0].at < script.reply.delay:
                continue
            reply = Reply(
                decision=Decision(script.reply.outcome),
                channel=ReplyChannel(script.reply.via),
                notes="played by the sandbox",
            )
            # each delivery waits for her run to reach its wait: never hold up the others
            self.deliveries.append(asyncio.create_task(deliver_reply(self.round.id, candidate.id, reply)))
            self.replied.add(candidate.id)
            sent.append(candidate.id)
        return sent
