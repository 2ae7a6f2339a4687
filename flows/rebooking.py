"""She picks another time: "another time" offers her the next free times, and she picks one.

When she asks for another time (her page, a text, the recruiter's form) and the round lets her
pick herself (``changes``), ``offer-times`` reads the calendars live and offers the next free
times that fit her free times, the panel, a room and the office hours, none sooner than the
round's notice. The offer is stored on her run (``offer-<pause key>``) for her page, and an
email brings her there. Her run then waits for her pick, holding no process (``Wait.choice``),
until ``changes.choose_window`` runs out.

Her pick is held like any slot (``hold-calendars``, the same race safety): if someone else took
it meanwhile she is offered what is still free; once held, the old slot's holds are freed and
it goes to the waitlist, and she is confirmed on the new one (``flows/settle.py``). No time
fits, she picks none in time, or every pick is lost: her answer goes to the recruiter as before.
Events: ``secondround.candidate.times-offered``, ``.picked``, ``.held``, ``.hold-released``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from prefect import get_client, task

from flows.logistics import TRIES, Booking, Holding, arrange_catering, hold_calendars, release_holds
from flows.messages.context import context, offered_times
from flows.messages.render import CateringMessage, render_email, staff_email
from flows.models import CallbackRequest, Decision, Offer, Reply, Slot, Wait
from flows.planning.slots import offer_slots, round_calendars, search_window
from flows.replies import OFFER, share_slot, store_on_run
from flows.timeline import Timeline
from flows.waitlist import offer_to_waitlist
from flows.waits import wait
from tasks.calendars import calendar_refs, find_busy
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done, recall
from tasks.mail import send_email


async def let_her_pick(
    request: CallbackRequest,
    booking: Booking,
    reply: Reply | None,
    timeline: Timeline,
    *,
    run_id: str,
    moves: int = 0,
    confirmed: bool = False,
) -> tuple[Booking, Reply | None, int]:
    """While she asks for another time and may still pick one herself: offer, wait, hold. Returns
    her booking, her last answer (her pick, or the request for another time left to the
    recruiter) and how many times she moved (``moves`` before; ``confirmed``: the time she
    leaves was booked, so its panel and caterer are stood down too)."""
    while reply is not None and picks_herself(request, reply, moves=moves):
        move = moves + 1
        moved, answer = await pick_another_time(
            request, booking, reply, timeline, run_id=run_id, move=move, confirmed=confirmed
        )
        if moved.slot is None or moved.slot == booking.slot:
            break
        booking, reply, moves = moved, answer, moves + 1
        await share_slot(run_id, moved.slot, move=moves)
        timeline.slot = moved.slot
    return booking, reply, moves


def picks_herself(request: CallbackRequest, reply: Reply | None, *, moves: int) -> bool:
    """Whether her answer asks for another time and the round still lets her pick one herself."""
    wants = reply is not None and reply.decision is Decision.another_time
    return wants and moves < request.round.changes.max_moves


@task(name="offer-times", cache_policy=BY_BUSINESS_KEY)
async def offer_times(key: EffectKey, *, request: CallbackRequest, exclude: list[Slot]) -> Offer:
    """The free times to offer her, read live from the calendars; decided once per offer."""
    round_ = request.round
    urls = calendar_refs(round_)
    busy = await find_busy({k: urls[k] for k in round_calendars(round_)}, *search_window(round_))
    after = datetime.now(timezone.utc) + round_.changes.notice
    slots = offer_slots(round_, request.candidate, busy, exclude=exclude, after=after)
    if not slots:
        return Offer(**done(key, "no other time fits her free times").model_dump(), slots=[])
    starts = ", ".join(f"{s.start:%d %b %H:%M}" for s in slots)
    line = done(key, f"offered {len(slots)} other time(s) (UTC): {starts}", event="times-offered", count=len(slots))
    return Offer(**line.model_dump(), slots=slots)


async def pick_another_time(
    request: CallbackRequest,
    booking: Booking,
    reply: Reply,
    timeline: Timeline,
    *,
    run_id: str,
    move: int,
    confirmed: bool = False,
) -> tuple[Booking, Reply]:
    """Offer her other times until she picks one that is still free: returns the new booking and
    her pick. Unchanged when no time fits, she picks none in time, or every pick was taken."""
    exclude = [booking.slot] if booking.slot is not None else []
    for offer_no in range(1, TRIES + 1):
        offer = await offer_times(request.key(f"offer-{offer_no}", attempt=move), request=request, exclude=exclude)
        timeline.add(offer)
        if not offer.slots:
            break
        await _share_offer(run_id, Wait.choice.pause_key(move, offer_no), offer)
        timeline.add(await _tell_her(request, booking, offer, move=move, offer_no=offer_no))
        until = datetime.now(timezone.utc) + request.round.changes.choose_window
        picked = await wait(request, move, timeline, run_id=run_id, until=until, what=Wait.choice, ring=offer_no)
        if picked.chosen is None:  # none suits her (the recruiter hears which would), or her time ran out
            return booking, picked if picked.decision is not Decision.no_reply else reply
        holding = await _hold_pick(request, picked.chosen, offer_no=offer_no, move=move)
        timeline.add(*holding.holds)
        if holding.won:
            freed = await _free_old(request, booking, move=move, confirmed=confirmed)
            return Booking(slot=picked.chosen, holds=holding.holds, lines=[*holding.holds, *freed]), picked
        timeline.add(*await release_holds(request, holding.holds))  # taken meanwhile: offer what is left
        exclude.append(picked.chosen)
    return booking, reply


@task(name="remember-holding", cache_policy=BY_BUSINESS_KEY)
async def remember_holding(key: EffectKey, *, holding: Holding) -> Holding:
    return holding


async def _hold_pick(request: CallbackRequest, slot: Slot, *, offer_no: int, move: int) -> Holding:
    """Her pick held once: a later replay (after another offer) recalls it instead of holding anew."""
    key = request.key(f"picked-{offer_no}", attempt=move)
    return await recall(key, Holding) or await remember_holding(
        key, holding=await hold_calendars(request, slot, offer_no, move=move)
    )


async def _share_offer(run_id: str, pause_key: str, offer: Offer) -> None:
    """The offer where her page finds it, stored once (a replay finds it there)."""
    async with get_client() as client:
        await store_on_run(client, UUID(run_id), f"{OFFER}{pause_key}", offer.model_dump_json())


async def _tell_her(request: CallbackRequest, booking: Booking, offer: Offer, *, move: int, offer_no: int) -> Done:
    """An email with the times and the link to her page, where she picks one (her second chance:
    no time of hers to leave, and the words say why she is offered times)."""
    round_, candidate = request.round, request.candidate
    slot = booking.slot or offer.slots[0]
    ctx = offered_times(context(round_, candidate, slot, attempt=1), round_, candidate, offer.slots)
    kind = "choose_again" if offer_no > 1 else "choose" if booking.slot is not None else "choose_late"
    message = render_email(kind, ctx, to=candidate.email, to_name=candidate.name)
    return await send_email(request.key(f"offer-email-{offer_no}", attempt=move), message)


async def _free_old(request: CallbackRequest, booking: Booking, *, move: int, confirmed: bool) -> list[Done]:
    """The time she left: its holds (or bookings) freed, the caterer's notice or order withdrawn,
    a panel that was briefed stood down, the slot offered to the waitlist."""
    lines = await release_holds(request, booking.holds)
    if booking.slot is None:
        return lines
    if booking.caterer_told or confirmed:
        cancelled = await arrange_catering(request, booking.slot, kind=CateringMessage.cancel, move=move)
        lines += [cancelled] if cancelled else []
    if confirmed:
        ctx = context(request.round, request.candidate, booking.slot, reason="moved to another time")
        for staff_id in request.round.plan.panel:
            message = staff_email("staff_release", ctx, request.round.staff_member(staff_id))
            lines.append(await send_email(request.key(f"release-{staff_id}-move{move}"), message, to_candidate=False))
    if request.waitlist:
        lines.append(await offer_to_waitlist(request.key(f"waitlist-move{move}"), request=request, slot=booking.slot))
    return lines
