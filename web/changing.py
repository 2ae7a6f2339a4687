"""Her page once she is confirmed: move or cancel, until the cut-off.

While her run waits for the day (``Wait.day``, flows/aftercare.py), her page offers *Move my
interview* and *Cancel my interview* until ``changes.cutoff`` before it and while she has moves
left (``changes.max_moves``); after that it asks her to call the recruiter. Her request is
stored in the inbox under ``change:<round>.<candidate>:<move>`` (once for each time she holds)
before the page thanks her, then delivered to the wait it answers (``Reply.answers``:
``day-<move>``). Moving then offers her times as for "another time" (``web/choosing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from config.links import LinkClaim
from flows.models import Decision, Reply, ReplyChannel, Wait
from flows.replies import Standing
from web.inbox import Inbox

CHANGES = {"move": Decision.another_time, "cancel": Decision.decline}
CALL = "To change or cancel your interview now, please call {recruiter}{contact}."


@dataclass(frozen=True)
class Changing:
    """Whether her page offers to move or cancel, and if not, what it says instead."""

    open: bool
    notice: str = ""


def _move(pause_key: str) -> int:
    """The move a day wait belongs to: ``day-1-2`` is the second reminder of her first move."""
    return int(pause_key.split("-")[1])


def changing(where: Standing | None, *, now: datetime) -> Changing | None:
    """Her page's offer to move or cancel; None when her run is not waiting for the day."""
    if where is None or where.slot is None or Wait.of(where.pause_key) is not Wait.day:
        return None
    round_ = where.request.round
    if now < where.slot.start - round_.changes.cutoff and _move(where.pause_key) < round_.changes.max_moves:
        return Changing(open=True)
    recruiter = round_.organisation.recruiter
    contact = f" on {recruiter.phone}" if recruiter.phone else f" ({recruiter.email})"
    return Changing(open=False, notice=CALL.format(recruiter=recruiter.name, contact=contact))


async def record_change(
    inbox: Inbox, claim: LinkClaim, where: Standing | None, *, choice: str, times: str, now: datetime
) -> bool:
    """Store her asking to move or cancel for the time she holds; False when it is too late, she
    has no moves left, or her run is not waiting for the day."""
    view = changing(where, now=now)
    if where is None or view is None or not view.open:
        return False
    move = _move(where.pause_key)
    reply = Reply(
        decision=CHANGES[choice],
        channel=ReplyChannel.link,
        preferred_time=" ".join(times.split()) if choice == "move" else "",
        answers=Wait.day.pause_key(move),
        notes=f"asked on her page to {choice} her interview",
    )
    await inbox.add(f"change:{claim.round_id}.{claim.candidate_id}:{move}", claim.round_id, claim.candidate_id, reply)
    return True
