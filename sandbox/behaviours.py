"""Scripted candidates: how each sandbox phone number behaves on each call attempt.

The file (``SECONDROUND_SANDBOX_BEHAVIOURS``) maps an E.164 number to its script::

    "+12125550102":
      calls: [voicemail]                       # attempt 1; later attempts: no-answer
      reply: {after_attempt: 1, outcome: confirm, via: link, delay: PT4S}

Call behaviours: answer-confirm (presses 1), answer-decline (2), answer-recruiter (0),
answer-hangup, slow-answer (rings long, then presses 1), lost-response (the call goes through and
she presses 1, but the create request gets a 500), voicemail, no-answer, busy, failed,
invalid-number (refused at creation, error 21217). ``reply`` is played by the demo's candidates.
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


class ScriptedReply(BaseModel):
    after_attempt: int = Field(ge=1)
    outcome: Literal["confirm", "decline"]
    via: Literal["link", "sms", "call", "recruiter"] = "link"
    delay: timedelta = timedelta(seconds=3)


class Script(BaseModel):
    calls: list[CallBehaviour] = Field(default_factory=list)
    reply: ScriptedReply | None = None

    def call(self, attempt: int) -> CallBehaviour:
        return self.calls[attempt - 1] if attempt <= len(self.calls) else CallBehaviour.no_answer


def load_scripts(path: Path | None) -> dict[str, Script]:
    if path is None or not path.exists():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(number): Script.model_validate(script or {}) for number, script in raw.items()}


def script_for(path: Path | None, number: str) -> Script:
    return load_scripts(path).get(number, Script())
