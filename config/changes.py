"""What a candidate may change herself: picking another time, within limits set per round.

``changes`` in the round file. "Another time" (her page, a text, the recruiter's form) offers
her the next free times that fit her free times, the panel, a room and the office hours, at
most ``offers`` of them and none sooner than ``notice``; she has ``choose_window`` to pick
one, else the recruiter is told.
Each time she picks counts as a move; after ``max_moves`` the recruiter takes over (0: the
recruiter always finds the other time, as a round without self-service wants).
"""

from __future__ import annotations

from datetime import timedelta

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
