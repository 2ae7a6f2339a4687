"""Getting the ducks in a row before she is called: a slot, the room, the panel, the lunch.

``hold-slot`` chooses a time; ``hold-calendars`` then holds the room and the panel's calendars,
one at a time in the order every run shares, so that of two runs racing for one time exactly
one wins (``flows.planning.slots.hold_order``): holding them in parallel, each could win a part
and both lose. If it finds the time taken meanwhile, or fails (a calendar refuses us), the holds
already made are released, newest first (the compensation, ``release_holds``, sits next to its
action and is keyed by the hold it undoes), and another slot is tried. The caterer
is told by ``arrange-catering``: by default the order goes out when she confirms
(``flows/settle.py``), so a decline costs facilities nothing; a round with ``catering.when:
before_call`` sends a provisional notice once room and panel are held, so a clash never costs
one. Events: ``secondround.candidate.held``, ``.hold-released``, ``.staff-notified``.
"""

from __future__ import annotations

from prefect import flow, task
from pydantic import BaseModel, Field

from config.round import CateringWhen
from flows.messages.render import CateringMessage, catering_email
from flows.models import CallbackRequest, Slot
from flows.planning.slots import (
    choose_slot,
    hold_order,
    is_free,
    panel_calendar,
    room_calendar,
    round_calendars,
    search_window,
)
from tasks.calendars import HoldResult, calendar_refs, find_busy, place_hold, settle_hold
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done, recall
from tasks.mail import send_email

TRIES = 3


class Booking(BaseModel):
    slot: Slot | None = None
    holds: list[HoldResult] = Field(default_factory=list)
    lines: list[Done] = Field(default_factory=list)

    @property
    def caterer_told(self) -> bool:
        """A provisional notice went out with the holds, so a release must cancel it."""
        return any(line.step == CateringMessage.notice.step for line in self.lines)


class SlotChoice(BaseModel):
    slot: Slot | None


@task(name="choose-slot", cache_policy=BY_BUSINESS_KEY)
async def _choose(key: EffectKey, *, request: CallbackRequest, exclude: list[Slot]) -> SlotChoice:
    round_, proposed = request.round, request.proposed
    urls = calendar_refs(round_)
    if proposed is not None and proposed not in exclude:
        # only the planned slot's own hour is read: the whole round's calendars grow with the
        # round, and every candidate reading all of them made a round quadratic
        padded = (proposed.start - round_.plan.buffer, proposed.end + round_.plan.buffer)
        keys = [panel_calendar(p) for p in round_.plan.panel] + [room_calendar(proposed.room_id)]
        if is_free(round_, proposed, await find_busy({key: urls[key] for key in keys}, *padded)):
            return SlotChoice(slot=proposed)
    busy = await find_busy({key: urls[key] for key in round_calendars(round_)}, *search_window(round_))
    return SlotChoice(slot=choose_slot(round_, request.candidate, busy, exclude=exclude))


@flow(name="hold-slot")
async def hold_slot(request: CallbackRequest, try_no: int, exclude: list[Slot]) -> Slot | None:
    return (await _choose(request.key(f"slot-try{try_no}"), request=request, exclude=exclude)).slot


class Holding(BaseModel):
    holds: list[HoldResult] = Field(default_factory=list)
    failure: str | None = None

    @property
    def won(self) -> bool:
        return self.failure is None and all(h.ok for h in self.holds)


@flow(name="hold-calendars")
async def hold_calendars(request: CallbackRequest, slot: Slot, try_no: int, move: int = 0) -> Holding:
    """Hold the room and each panel member's calendar, one at a time in the order every run
    shares (``hold_order``), stopping at the first one taken or failing: of two runs racing for
    the same time exactly one wins."""
    refs = calendar_refs(request.round)
    needed = [room_calendar(slot.room_id)] + [panel_calendar(p) for p in request.round.plan.panel]
    made: list[HoldResult] = []
    for calendar in hold_order(refs, needed):
        try:
            made.append(await _hold(request, slot, refs[calendar], step=hold_step(calendar, try_no, move)))
        except Exception as error:  # a calendar that refuses us (retries spent): a decision, not a crash
            return Holding(holds=made, failure=f"{calendar}: {error}")
        if not made[-1].ok:
            break
    return Holding(holds=made)


def hold_step(calendar: str, try_no: int, move: int) -> str:
    """``hold-room-try1``, ``hold-<staff id>-try1`` (``hold-room-move1-try1`` for the time she
    picked herself): the step names the timeline shows."""
    kind, name = calendar.split(":", 1)
    moved = f"-move{move}" if move else ""
    return f"hold-{'room' if kind == 'room' else name}{moved}-try{try_no}"


async def _hold(request: CallbackRequest, slot: Slot, ref: str, *, step: str) -> HoldResult:
    """A tentative hold: no name on it yet, colleagues see only that the time is spoken for."""
    return await place_hold(
        request.key(step),
        calendar=ref,
        start=slot.start,
        end=slot.end,
        guard=request.round.plan.buffer,
        summary=f"Hold: {request.round.plan.title}",
    )


@flow(name="arrange-catering")
async def arrange_catering(
    request: CallbackRequest, slot: Slot, *, kind: CateringMessage, move: int = 0
) -> Done | None:
    """The caterer's notice, order or cancellation for ``slot`` (``move``: after she picked another time)."""
    message = catering_email(request.round, request.candidate, slot, kind=kind)
    if message is None:
        return None
    return await send_email(request.key(kind.step + (f"-move{move}" if move else "")), message, to_candidate=False)


async def release_holds(request: CallbackRequest, holds: list[HoldResult]) -> list[Done]:
    """The compensation of holding: free every hold that was made, newest first; idempotent,
    keyed by the hold it undoes."""
    return [await settle_hold(request.key(f"release-{h.step}"), hold=h, confirm=False) for h in reversed(holds) if h.ok]


@task(name="remember-booking", cache_policy=BY_BUSINESS_KEY)
async def remember_booking(key: EffectKey, *, booking: Booking) -> Booking:
    return booking


async def arrange_logistics(request: CallbackRequest) -> Booking:
    """The booking, arranged once. A resumed run recalls it instead of re-creating four subflow
    runs: on SQLite each creation tends to cost a 503 and a 2 s client back-off."""
    key = request.key("booking")
    return await recall(key, Booking) or await remember_booking(key, booking=await _arrange(request))


async def _arrange(request: CallbackRequest) -> Booking:
    tried: list[Slot] = []
    lines: list[Done] = []
    for try_no in range(1, TRIES + 1):
        slot = await hold_slot(request, try_no, tried)
        if slot is None:
            break
        holding = await hold_calendars(request, slot, try_no)
        lines += holding.holds
        if holding.won:
            catering = request.round.catering
            early = catering is not None and catering.when is CateringWhen.before_call
            notice = await arrange_catering(request, slot, kind=CateringMessage.notice) if early else None
            return Booking(slot=slot, holds=holding.holds, lines=lines + ([notice] if notice else []))
        lines += await release_holds(request, holding.holds)  # taken by another run, or refused: undo
        if holding.failure is not None:
            lines.append(done(request.key(f"hold-failed-try{try_no}"), f"could not hold the slot: {holding.failure}"))
        tried.append(slot)
    return Booking(slot=None, lines=lines)
