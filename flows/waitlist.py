"""A released slot goes to the waitlist: the best-ranked waitlisted candidate who is free then
gets her own candidate-callback run, holding that slot. Event: ``secondround.candidate.slot-offered``.

Her run is created with the round's idempotency key for her, so she is started once whatever
happens: if two slots are released at once and both pick her, the second finds her run (with
the other slot) and offers its slot to the next one.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import task

from flows.deployments import start_callback
from flows.models import CallbackRequest, Slot
from flows.planning.slots import fits
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done


@task(name="offer-to-waitlist", cache_policy=BY_BUSINESS_KEY, retries=3, retry_delay_seconds=5)
async def offer_to_waitlist(key: EffectKey, *, request: CallbackRequest, slot: Slot) -> Done:
    round_ = request.round
    if slot.start - datetime.now(timezone.utc) < round_.cadence.reply_window:  # no time left for her to answer
        return done(key, "too late to offer it to the waitlist (less than a reply window before it)")
    for candidate in request.waitlist:
        if not fits(round_, candidate, slot):
            continue
        offer = CallbackRequest(round=round_, candidate=candidate, proposed=slot)
        run = await start_callback(offer, tags=("waitlist",))
        proposed = (run.parameters.get("request") or {}).get("proposed") or {}
        if proposed and Slot.model_validate(proposed) == slot:  # ours (or ours before a crash)
            return done(key, f"slot offered to {candidate.name} (waitlist)", event="slot-offered", to=candidate.id)
    return done(key, "no one on the waitlist is free then")
