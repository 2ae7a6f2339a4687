"""When each contact of an attempt may go out, decided once per attempt (replays reuse it).

A call: inside her call times, inside her waking hours, and only with her consent to an
automated voice (a recorded or synthesised voice needs it as much as a voicemail does). A text:
inside her waking hours; at night it waits for her morning. Waking hours come from the settings
(``SECONDROUND_CONTACT_FROM`` / ``_UNTIL``, 08:00 to 21:00 by default), on her clock.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import task

from config.settings import get_settings
from flows.models import CallbackRequest, CallPlan, TextPlan
from flows.planning.windows import next_call_time, next_waking_time
from tasks.effects import BY_BUSINESS_KEY, EffectKey, done


@task(name="plan-call", cache_policy=BY_BUSINESS_KEY)
async def plan_call(key: EffectKey, *, request: CallbackRequest) -> CallPlan:
    """Decide once when this attempt's call goes out, or that none does."""
    candidate, settings = request.candidate, get_settings()
    now = datetime.now(timezone.utc)
    if not candidate.consent.automated_voice:
        line = done(key, "no automated call: she has not agreed to a recorded voice; email and text instead")
        return CallPlan(**line.model_dump(), call_at=None)
    hours = {"earliest": settings.contact_from, "latest": settings.contact_until}
    call_at = next_call_time(now, candidate.call_times, candidate.time_zone, **hours)
    if call_at is None:
        detail = "no call: her call times are over; email only"
    elif call_at > now:
        waking = f"{settings.contact_from:%H:%M}-{settings.contact_until:%H:%M}"
        detail = f"outside her call times or {waking} her time: call at {call_at:%Y-%m-%d %H:%M}Z"
    else:
        detail = "inside her call times: calling now"
    return CallPlan(**done(key, detail).model_dump(), call_at=call_at)


@task(name="plan-text", cache_policy=BY_BUSINESS_KEY)
async def plan_text(key: EffectKey, *, request: CallbackRequest) -> TextPlan:
    """Decide once when this attempt's text goes out: now, or at her next morning."""
    settings = get_settings()
    now = datetime.now(timezone.utc)
    text_at = next_waking_time(
        now, request.candidate.time_zone, earliest=settings.contact_from, latest=settings.contact_until
    )
    detail = "texting now" if text_at <= now else f"quiet hours on her clock: text at {text_at:%Y-%m-%d %H:%M}Z"
    return TextPlan(**done(key, detail).model_dump(), text_at=text_at)
