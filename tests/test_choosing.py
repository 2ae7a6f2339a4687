"""Picking another time, pure: the times offered, the waits' names, her page's view, the invite.

No Prefect server: the planner's offer, ``Wait.choice``, ``web.choosing.picking`` over a
hand-made standing, and the invite's SEQUENCE.
"""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta, timezone
from typing import Any, Literal
from uuid import uuid4

from icalendar import Calendar
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Paused, Running

from config.round import HiringRound
from flows.messages import clock
from flows.messages.invites import interview_invite
from flows.models import CallbackRequest, Decision, Outcome, Reply, ReplyChannel, Slot, Wait
from flows.planning.reminders import plan_reminders
from flows.planning.slots import offer_slots, panel_calendar
from flows.replies import Standing
from flows.waits import _answers
from sandbox.rounds import example_data
from web.changing import changing
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
    change = Reply(decision=Decision.decline, answers="day-1")
    stored = [invitation, pick, change]
    assert _answers(stored, "reply-2") == [invitation]
    assert _answers(stored, "choice-1") == [pick] and _answers(stored, "choice-1-2") == []  # a stale pick is not one
    assert _answers(stored, "day-1") == _answers(stored, "day-1-2") == [change] and _answers(stored, "day-0-2") == []


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


def test_reminders_come_the_day_before_and_on_the_morning_on_her_clock() -> None:
    london = GRETE.model_copy(update={"time_zone": "Europe/London"})
    start = datetime(2026, 12, 15, 10, tzinfo=timezone.utc)  # 10:00 in London
    hours = {"earliest": time(8), "latest": time(21)}
    before, morning = plan_reminders(ROUND, london, slot(start), now=start - 3 * DAY, **hours)
    assert (before.kind, before.at, before.text, before.email) == (
        "day-before",
        start - DAY + timedelta(hours=2),
        False,
        True,
    )
    assert (morning.kind, morning.at, morning.text, morning.email) == (
        "morning",
        start - timedelta(hours=2),
        False,
        True,
    )
    texting = london.model_copy(update={"consent": london.consent.model_copy(update={"sms": True})})
    _, by_text = plan_reminders(ROUND, texting, slot(start), now=start - 3 * DAY, **hours)
    assert (by_text.text, by_text.email) == (True, False)  # the morning's is a text when she agreed to texts
    early = datetime(2026, 12, 15, 8, 30, tzinfo=timezone.utc)  # an hour before is 07:30: no text then
    [_, dawn] = plan_reminders(ROUND, texting, slot(early), now=early - 3 * DAY, **hours)
    assert (dawn.at, dawn.text, dawn.email) == (early - timedelta(hours=1), False, True)
    assert [
        p.kind for p in plan_reminders(ROUND, london, slot(start), now=start - DAY + timedelta(hours=3), **hours)
    ] == ["morning"]


def test_she_may_move_or_cancel_until_the_cutoff_and_while_she_has_moves_left() -> None:
    now = datetime(2026, 12, 10, 12, tzinfo=timezone.utc)
    ahead = slot(now + 3 * DAY)
    view = changing(standing(Paused(pause_key="day-0"), held=ahead), now=now)
    assert view is not None and view.open
    soon = changing(standing(Paused(pause_key="day-0"), held=slot(now + timedelta(hours=20))), now=now)
    assert soon is not None and not soon.open and "+442079460100" in soon.notice  # inside the 24 h cut-off
    spent = changing(standing(Paused(pause_key="day-2-2"), held=ahead), now=now)  # two moves made already
    assert spent is not None and not spent.open and "Priya Raman" in spent.notice
    assert changing(standing(Paused(pause_key="reply-1"), held=ahead), now=now) is None
