"""Picking another time, pure: the times offered, the waits' names, her page's view, the invite.

No Prefect server: the planner's offer, ``Wait.choice``, ``web.choosing.picking`` over a
hand-made standing, and the invite's SEQUENCE.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from uuid import uuid4

from icalendar import Calendar
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Paused, Running

from config.round import HiringRound
from flows.messages import clock
from flows.messages.invites import interview_invite
from flows.models import CallbackRequest, Decision, Outcome, Reply, ReplyChannel, Slot, Wait
from flows.planning.slots import offer_slots, panel_calendar
from flows.replies import Standing
from flows.waits import _answers
from sandbox.rounds import example_data
from web.choosing import BOOKING, MOVED, OFFERED, TAKEN, picking
from web.inbox import Stored

ROUND = HiringRound.model_validate(example_data())
GRETE = ROUND.candidate("grete-nilsen")  # free on Tuesday 15 and Thursday 17 December
DAY = timedelta(days=1)


def slot(start: datetime) -> Slot:
    return Slot(start=start, end=start + ROUND.plan.duration, room_id="fleet")


def test_she_is_offered_free_times_in_her_free_times_never_overlapping_or_too_soon() -> None:
    first = GRETE.interview_times[0].start
    offered = offer_slots(ROUND, GRETE, {}, exclude=[], after=first - DAY)
    assert offered and all(a.end <= b.start for a, b in itertools.pairwise(offered))  # a choice of times
    assert {s.start.date() for s in offered} == {w.start.date() for w in GRETE.interview_times}
    held = offered[0]
    again = offer_slots(ROUND, GRETE, {}, exclude=[held], after=first - DAY)
    assert held not in again and all(s.start.date() != held.start.date() for s in again)
    assert offer_slots(ROUND, GRETE, {}, exclude=[], after=GRETE.interview_times[-1].end) == []  # none in the past


def test_a_busy_panel_member_and_the_offer_limit_are_respected() -> None:
    first = GRETE.interview_times[0].start
    busy = {panel_calendar(ROUND.plan.panel[0]): [(first - DAY, first + DAY)]}  # Amara is away on the 15th
    offered = offer_slots(ROUND, GRETE, busy, exclude=[], after=first - DAY)
    assert offered and all(s.start.date() == GRETE.interview_times[1].start.date() for s in offered)
    one = ROUND.model_copy(update={"changes": ROUND.changes.model_copy(update={"offers": 1})})
    assert len(offer_slots(one, GRETE, {}, exclude=[], after=first - DAY)) == 1


def test_the_wait_for_her_pick_has_its_own_keys() -> None:
    assert (Wait.choice.pause_key(1), Wait.choice.pause_key(1, 2)) == ("choice-1", "choice-1-2")
    assert Wait.of("choice-1-2") is Wait.choice and Wait.recorded_by("choice-2-reply") is Wait.choice
    assert Wait.choice.opened == "no time picked by the deadline"


def test_a_pick_ends_only_the_wait_it_answers() -> None:
    invitation = Reply(decision=Decision.another_time, channel=ReplyChannel.link)
    pick = Reply(decision=Decision.confirm, chosen=slot(GRETE.interview_times[1].start), answers="choice-1")
    assert _answers([invitation, pick], "") == [invitation]
    assert _answers([invitation, pick], "choice-1") == [pick] and _answers([invitation, pick], "choice-1-2") == []


def standing(state: Any, *, offer: tuple[Slot, ...] = (), held: Slot | None = None, **extra: Any) -> Standing:
    request = CallbackRequest(round=ROUND.details, candidate=GRETE)
    run = FlowRun(flow_id=uuid4(), state=state)
    return Standing(request=request, slot=held, run=run, offer=offer, **extra)


def stored(reply: Reply) -> Stored:
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    return Stored("pick:k", ROUND.id, GRETE.id, reply, at, "delivered", None, "")


def test_her_page_shows_the_offer_then_the_booking_then_the_new_time() -> None:
    a, b = (slot(w.start) for w in GRETE.interview_times)
    zones = clock.clocks_for(ROUND.details, GRETE)
    view = picking(standing(Paused(pause_key="choice-1"), offer=(a, b)), [])
    assert (
        view is not None
        and view.notice == OFFERED
        and view.offered == tuple(clock.written(s.start, *zones) for s in (a, b))
    )
    picked = stored(Reply(decision=Decision.confirm, chosen=b, answers="choice-1"))
    booking = picking(standing(Paused(pause_key="choice-1"), offer=(a, b)), [picked])
    assert booking is not None and booking.offered == () and booking.slot == b
    assert booking.notice == BOOKING.format(when=clock.written(b.start, *zones))
    again = picking(standing(Paused(pause_key="choice-1-2"), offer=(a,)), [picked])  # b was taken meanwhile
    assert again is not None and again.notice == TAKEN
    done = picking(standing(Completed(), held=b, outcome=Outcome.confirmed), [picked])
    assert done is not None and done.notice == MOVED.format(when=clock.written(b.start, *zones))
    assert picking(standing(Running()), []) is None  # never offered times: the page as before


def test_each_new_time_outranks_the_last_in_her_calendar() -> None:
    def sequence(method: Literal["REQUEST", "CANCEL"], value: int | None) -> int:
        ics = interview_invite(
            ROUND,
            GRETE,
            slot(GRETE.interview_times[0].start),
            method=method,
            stamp=datetime.now(timezone.utc),
            domain="northwind.example",
            sequence=value,
        )
        return int(str(Calendar.from_ical(ics).walk("VEVENT")[0]["sequence"]))

    assert (sequence("REQUEST", None), sequence("CANCEL", None), sequence("REQUEST", 2), sequence("CANCEL", 3)) == (
        0,
        1,
        2,
        3,
    )
