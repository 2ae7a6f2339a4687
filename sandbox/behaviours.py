"""Scripted candidates: how each sandbox phone number behaves on each call attempt.

The file (``SECONDROUND_SANDBOX_BEHAVIOURS``) maps an E.164 number to its script::

    "+12125550102":
      calls: [voicemail]                       # attempt 1; later attempts: no-answer
      reply: {after_attempt: 1, outcome: confirm, via: link, delay: PT4S}

Call behaviours: answer-confirm (presses 1), answer-decline (2), answer-recruiter (0),
answer-hangup, slow-answer (rings long, then presses 1), lost-response (the call goes through and
she presses 1, but the create request gets a 500), voicemail, no-answer, busy, failed,
invalid-number (refused at creation, error 21217). On a live call she simply talks to the
recruiter if she answers. The recruiter's phone is scripted by ring (``sandbox/conference.py``):
connect, connect-play-recording, answer-decline, answer-hangup, no-answer, busy, failed; after
the list, ``otherwise``. ``reply`` is played by the demo's candidates (``via: recruiter``: the
recruiter records her answer on the form; ``another-time`` by link: she asks for another time on
her page, then picks the ``pick``-th of the times it offers). ``day`` is what the panel reports
on its form after her interview (none: nobody reports, and the deadline records "no report").
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field


class CallBehaviour(StrEnum):
    answer_confirm = "answer-confirm"
    answer_decline = "answer-decline"
    answer_recruiter = "answer-recruiter"
    answer_hangup = "answer-hangup"
    slow_answer = "slow-answer"
    lost_response = "lost-response"
    voicemail = "voicemail"
    no_answer = "no-answer"
    busy = "busy"
    failed = "failed"
    invalid_number = "invalid-number"
    connect = "connect"  # the recruiter: presses 1 on the whisper; at her voicemail, 1 (own message)
    connect_play_recording = "connect-play-recording"  # the same, then 2 at her voicemail (ours)


class ScriptedReply(BaseModel):
    after_attempt: int = Field(ge=1)
    outcome: Literal["confirm", "decline", "another-time"]
    via: Literal["link", "sms", "call", "recruiter"] = "link"
    pick: int = Field(default=0, ge=0, description="another-time on her page: which of the times offered she picks")
    delay: timedelta = timedelta(seconds=3)
    enthusiasm: int = Field(default=4, ge=1, le=5, description="What the recruiter records (via: recruiter)")
    professionalism: int = Field(default=5, ge=1, le=5)


class ScriptedDay(BaseModel):
    came: Literal["on_time", "late", "no_show"] = "on_time"
    dressed: bool | None = Field(default=True, description="She followed the dress instructions (None: not noticed)")
    brought: bool | None = Field(default=True, description="She brought what she was asked to")
    enthusiasm: int = Field(default=4, ge=1, le=5)

    def form(self) -> dict[str, str]:
        """The panel's form as a panel member fills it in."""
        said = {True: "yes", False: "no", None: ""}
        return {"came": self.came, "dressed": said[self.dressed], "brought": said[self.brought]} | {
            "enthusiasm": str(self.enthusiasm),
            "notes": "played by the sandbox",
        }


class Script(BaseModel):
    calls: list[CallBehaviour] = Field(default_factory=list)
    otherwise: CallBehaviour = Field(default=CallBehaviour.no_answer, description="Every call after the list")
    reply: ScriptedReply | None = None
    day: ScriptedDay | None = None

    def call(self, attempt: int) -> CallBehaviour:
        return self.calls[attempt - 1] if attempt <= len(self.calls) else self.otherwise


def load_scripts(path: Path | None) -> dict[str, Script]:
    if path is None or not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(number): Script.model_validate(script or {}) for number, script in raw.items()}


def script_for(path: Path | None, number: str) -> Script:
    return load_scripts(path).get(number, Script())
