"""Rerunning a candidate from one of her contacts: the contacts of an attempt, in order, and where
a rerun starts checking them against their peers again (``flows/rerun.py``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Contact(StrEnum):  # the steps of an attempt that reach her, in the order they happen
    call = "call"
    voicemail = "voicemail"
    email = "email"
    sms = "sms"


class RedoFrom(BaseModel):
    attempt: int = Field(default=1, ge=1, le=5, description="The contact attempt")
    step: Contact = Field(description="The first step checked again")

    def covers(self, attempt: int, step: Contact) -> bool:
        """Whether ``step`` of ``attempt`` is at or after this point, so its record is set aside."""
        order = list(Contact)
        return (attempt, order.index(step)) >= (self.attempt, order.index(self.step))
