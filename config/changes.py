"""After her answer: picking another time herself, moving or cancelling, and her reminders.

``changes`` in the round file. "Another time" (her page, a text, the recruiter's form) offers
her the next free times that fit her free times, the panel, a room and the office hours, at
most ``offers`` of them and none sooner than ``notice``; she has ``choose_window`` to pick
one, else the recruiter is told. A candidate released unanswered who answers after all is offered
the times still free the same way (``second_chance``; it counts as a move).
Each change she asks for counts as a move; after ``max_moves`` the recruiter takes over (0: the
recruiter always finds the other time, as a round without self-service wants).

Once she is confirmed her run stays with her until the interview (``follow_through``): it
reminds her the day before and on the morning (``reminders``, on her clock), and her page lets
her move or cancel until ``cutoff`` before it. After its planned end the panel is asked how it went
and has ``report_within`` to say.
"""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import Field

from config.fields import Strict


class Changes(Strict):
    max_moves: int = Field(default=2, ge=0, le=5, description="Times she may pick another time herself")
    offers: int = Field(default=4, ge=1, le=10, description="How many free times her page offers at once")
    choose_window: timedelta = Field(
        default=timedelta(hours=24), description="How long she has to pick one, before the recruiter is told"
    )
    notice: timedelta = Field(
        default=timedelta(hours=24), description="No time is offered sooner than this (the panel needs notice)"
    )
    cutoff: timedelta = Field(
        default=timedelta(hours=24), description="No move or cancel from her page closer than this to the interview"
    )
    follow_through: bool = Field(
        default=True,
        description="After confirming, her run stays with her until the interview (reminders, moves, the report)",
    )
    second_chance: bool = Field(
        default=True,
        description="An answer after her run released her unanswered gets the times still free to pick from, "
        "while she has a move left",
    )
    report_within: timedelta = Field(
        default=timedelta(hours=48), description="How long after the interview the panel may report how it went"
    )


class Reminders(Strict):
    """When she is reminded, on her clock; a text only with her consent and inside her waking hours."""

    day_before: time = Field(default=time(12), description="The day before the interview: email, and SMS")
    morning_of: time = Field(default=time(8), description="The morning of the interview: SMS, else email")
    staff_evening: time = Field(
        default=time(18), description="The evening before, on the venue's clock: each panel member gets the day's list"
    )
