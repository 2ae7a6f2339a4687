"""An answer after her run has decided: the truth for her, and a line for the recruiter.

She is told kindly where she stands. Her own earlier answer stands (the page quotes it); a run
that decided with her (on a call, through the recruiter) is "we already have your answer"; one
that decided without her is said as it is: we did not hear back in time, so the time offered is
no longer held for her and may have gone to someone else, or no time fitted hers; and whom to
contact. Never "thank you, we already have your answer" to someone who never gave one.

Where her run released her unanswered and she still wants to come, the round may give her a
second chance (``flows/second_chance.py``): the times still free, offered on her page and by
email; she is told so instead. The answer is kept in the inbox as
``late`` (never delivered) and shown on the round's table
(``flows.ops.dashboard.note_late``). Event: ``secondround.reply.late``.
"""

from __future__ import annotations

import logging
from contextlib import suppress

import httpx
from prefect.events import emit_event
from prefect.exceptions import PrefectException

from config.round import RoundDetails
from flows.models import Outcome, Reply
from flows.ops.dashboard import note_late
from flows.ops.rows import LateAnswer
from flows.replies import Standing
from flows.second_chance import deserves_second_chance, start_second_chance
from tasks.effects import candidate_resource
from web.inbox import Inbox, Stored

log = logging.getLogger("web.late")
WITH_HER = {
    Outcome.confirmed,
    Outcome.declined,
    Outcome.rescheduling,
    Outcome.cancelled,
}  # decided on something she said
PAGE = {
    Outcome.confirmed: "Your place is confirmed.",  # the page shows the details below
    Outcome.declined: "We have recorded that you cannot come to this interview. Thank you for letting us know.",
    Outcome.rescheduling: "We have recorded that the proposed time does not suit you; {recruiter} will be in touch"
    " about another time.",
    Outcome.released: "Thank you for your answer. We did not hear from you in time, so the interview time we"
    " offered you is no longer held for you and may have been offered to another candidate. If you are still"
    " interested, please contact {recruiter}{contact}.",
    Outcome.cancelled: "Your interview is cancelled, as you asked. Thank you for letting us know. If you would like"
    " another time, please contact {recruiter}{contact}.",
    Outcome.no_slot: "We could not find an interview time that fits the times you gave us. Please contact"
    " {recruiter}{contact} to find one.",
}
TEXT = {
    "answered": "Thank you, we already have your answer. For any change please contact {recruiter}{contact}.",
    "passed": "Thank you for your reply. We did not hear from you in time, so the interview time we offered is no"
    " longer held for you. If you are still interested, please contact {recruiter}{contact}.",
    "picking": "Thank you. The interview time we first offered is no longer held for you; the times still free"
    " are on your page: please pick one from the link in our email, or contact {recruiter}{contact}.",
    "no slot": "Thank you. We could not find an interview time that fits yours: please contact {recruiter}{contact}.",
}
LOOKING = (
    "Thank you for your reply. We did not hear from you in time, so the interview time we first offered you is no"
    " longer held for you. We are looking up the times still free: they will be shown here and emailed to you in a"
    " few minutes. If none fits, {recruiter}{contact} will be in touch."
)
SECOND_CHANCE_TEXT = (
    "Thank you for your reply. The interview time we offered is no longer held for you, but we are looking up the"
    " times still free and will email them to you in a few minutes. Questions: {recruiter}{contact}."
)
CLOSED = "This invitation is closed. For any question, please contact {recruiter}{contact}."


def _contact(round_: RoundDetails, *, email: bool = True) -> dict[str, str]:
    recruiter = round_.organisation.recruiter
    ways = [way for way in (recruiter.phone, recruiter.email if email else None) if way]
    return {"recruiter": recruiter.name, "contact": f" ({', '.join(ways)})" if ways else ""}


def settled_notice(where: Standing) -> str:
    """What her page says once her run has decided, when she gave no answer of her own there."""
    wording = PAGE.get(where.outcome, CLOSED) if where.outcome is not None else CLOSED
    return wording.format(**_contact(where.request.round))


def settled_text(where: Standing, *, answered: bool) -> str:
    """The reply to a text (or a call) that answers after her run decided, or while her second
    chance runs (``answered``: she had answered before)."""
    if where.request.second_chance is not None and not where.decided and where.slot is None:
        wording = TEXT["picking"]  # her second chance is offering her the times still free
    elif answered or where.outcome in WITH_HER:
        wording = TEXT["answered"]
    else:
        wording = TEXT["no slot" if where.outcome is Outcome.no_slot else "passed"]
    return wording.format(**_contact(where.request.round, email=False))


def holds_her_slot(where: Standing) -> bool:
    """Whether the slot on record is still hers to be shown: undecided, or confirmed."""
    return where.slot is not None and (not where.decided or where.outcome is Outcome.confirmed)


def second_chance_notice(where: Standing, *, text: bool = False) -> str:
    """Her page (or the answer to her text) while her second chance looks up the times still free."""
    wording = SECOND_CHANCE_TEXT if text else LOOKING
    return wording.format(**_contact(where.request.round, email=not text))


async def record_late(
    inbox: Inbox, key: str, round_id: str, candidate_id: str, reply: Reply, *, why: str, where: Standing | None = None
) -> bool:
    """Keep an answer that came after her decision (once per key) and show it to the recruiter;
    where she stands (``where``) may give her a second chance: True when it did (started once,
    so a retried webhook starts nothing new)."""
    stored = await inbox.late(key, round_id, candidate_id, reply, why=why)
    if stored.new:
        await shown_to_recruiter(stored, detail=why)
    if where is None or not deserves_second_chance(where, reply):
        return False
    try:
        run = await start_second_chance(where, reply)
    except (PrefectException, httpx.HTTPError, OSError) as error:  # kept and on the table: the recruiter acts
        log.warning("late answer %s: no second chance started: %s", stored.key, error)
        return False
    log.info("late answer %s: second chance in run %s", stored.key, run.name)
    return True


async def shown_to_recruiter(stored: Stored, *, detail: str) -> None:
    """Her late answer on the round's table and in the event feed; a view, so never an error."""
    reply, report = stored.reply, stored.reply.report  # a report: the panel's, after her run closed without one
    what = f"the panel's report: {report.summary()}" if report else f"{reply.decision.value} by {reply.channel.value}"
    answer = LateAnswer(candidate_id=stored.candidate_id, what=what, at=stored.received_at)
    try:
        await note_late(stored.round_id, answer)
    except (PrefectException, httpx.HTTPError, OSError) as error:  # the inbox row is the record
        log.warning("late answer %s not shown on the round's table: %s", stored.key, error)
    with suppress(Exception):
        emit_event(
            event="secondround.reply.late",
            resource={"prefect.resource.id": candidate_resource(stored.round_id, stored.candidate_id)},
            payload={"decision": stored.reply.decision.value, "channel": stored.reply.channel.value, "detail": detail},
        )
