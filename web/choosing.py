"""Her page while she picks another time: the times offered, her pick, and what happens next.

When she asked for another time, her run offers her free times (``flows/rebooking.py``) and
waits; her page (any of her links) shows them on her clocks with one button to book the one
she picks, and one to say none suits her (with times that would). Her pick is stored in the
inbox under ``pick:<round>.<candidate>:<wait>`` before the page thanks her, one per offer (a
second click stores nothing new), then delivered to the wait it answers (``Reply.answers``). If
the time was taken meanwhile, her run offers what is still free and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.links import LinkClaim
from flows.messages import clock
from flows.models import Decision, Outcome, Reply, ReplyChannel, Slot, Wait
from flows.replies import Standing
from web.inbox import Inbox, Stored

PICKS = {"pick", "none-suit"}
OFFERED = (
    "You asked for another time. These times are free for your second interview: please pick the one that suits you."
)
LATE = (
    "Thank you for your reply. The interview time we first offered you is no longer held for you, but these times"
    " are still free: please pick the one that suits you, or contact {recruiter}."
)
TAKEN = (
    "We are sorry: the time you picked was taken by someone else just before your choice reached us."
    " These times are still free: please pick one."
)
BOOKING = "Thank you: we are booking {when} for you. Your confirmation follows by email in a few minutes."
MOVED = "Your new time is confirmed: {when}. The details are below and in your email."
NONE_SUITS = "Thank you: we have told {recruiter} which times would suit you; {recruiter} will be in touch."


@dataclass(frozen=True)
class Picking:
    """What her page says about picking another time: the notice, the times she may pick (on her
    clocks; empty once she picked), and the slot the page's details describe."""

    notice: str
    offered: tuple[str, ...] = ()
    slot: Slot | None = None


def picking(where: Standing | None, picks: list[Stored]) -> Picking | None:
    """Her page's view of picking another time; None when she never was offered times."""
    if where is None:
        return None
    round_, candidate = where.request.round, where.request.candidate
    first, other = clock.clocks_for(round_, candidate)
    current = where.pause_key if where.offer else ""
    if current and not any(p.reply.answers == current for p in picks):
        offered = tuple(clock.written(slot.start, first, other) for slot in where.offer)
        late = LATE.format(recruiter=round_.organisation.recruiter.name)
        fresh = late if where.request.second_chance is not None else OFFERED
        return Picking(notice=TAKEN if current != Wait.choice.pause_key(1) and picks else fresh, offered=offered)
    last = picks[-1].reply if picks else None
    if last is None or last.chosen is None:
        recruiter = round_.organisation.recruiter.name
        return Picking(notice=NONE_SUITS.format(recruiter=recruiter)) if last is not None else None
    when = clock.written(last.chosen.start, first, other)
    if where.slot == last.chosen and (not where.decided or where.outcome is Outcome.confirmed):
        return Picking(notice=MOVED.format(when=when), slot=last.chosen)
    # still booking it; once her run decided otherwise (every pick lost), her page says how
    return None if where.decided else Picking(notice=BOOKING.format(when=when), slot=last.chosen)


async def record_pick(
    inbox: Inbox, claim: LinkClaim, where: Standing | None, *, choice: str, slot: str, times: str
) -> bool:
    """Store her pick (or "none suits me") for the offer her run waits on; False when there is
    none to answer (it closed meanwhile) or the time is not one offered."""
    if where is None or not where.offer:
        return False
    if choice == "pick":
        index = int(slot) if slot.isdigit() else -1
        if not 0 <= index < len(where.offer):
            return False
        reply = Reply(decision=Decision.confirm, chosen=where.offer[index], notes="picked on her page")
    else:
        wish = " ".join(times.split())
        reply = Reply(decision=Decision.another_time, preferred_time=wish, notes="none of the times offered suits her")
    reply = reply.model_copy(update={"channel": ReplyChannel.link, "answers": where.pause_key})
    await inbox.add(
        f"pick:{claim.round_id}.{claim.candidate_id}:{where.pause_key}", claim.round_id, claim.candidate_id, reply
    )
    return True
