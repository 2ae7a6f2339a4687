"""When each contact of an attempt may go out, decided once per attempt (replays reuse it).

A call: inside her call times and her waking hours. A live call (recruiter mode) also inside the
recruiter's working hours and outside the busy times on the recruiter's calendar; an automated
call only with her consent to an automated voice (a recorded or synthesised voice needs it as
much as a voicemail does). A ring the recruiter missed is planned again ``after`` a while. A text:
inside her waking hours; at night it waits for her morning. Waking hours come from the settings
(``SECONDROUND_CONTACT_FROM`` / ``_UNTIL``, 08:00 to 21:00 by default), on her clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prefect import task

from config.calling import CallMode
from config.fields import Interval
from config.settings import get_settings
from flows.models import CallbackRequest, CallPlan, TextPlan
from flows.planning.windows import next_call_time, next_waking_time, outside, overlap
from tasks.calendars import find_busy, recruiter_calendar
from tasks.effects import BY_BUSINESS_KEY, EffectKey, done


@task(name="plan-call", cache_policy=BY_BUSINESS_KEY)
async def plan_call(key: EffectKey, *, request: CallbackRequest, after: timedelta = timedelta(0)) -> CallPlan:
    """Decide once when this attempt's call (or ring of the recruiter) goes out, or that none does."""
    candidate, settings = request.candidate, get_settings()
    live = request.round.call_mode(candidate) is CallMode.recruiter
    now = datetime.now(timezone.utc)
    if not (live or candidate.consent.automated_voice):
        line = done(key, "no automated call: she has not agreed to a recorded voice; email and text instead")
        return CallPlan(**line.model_dump(), call_at=None)
    hours = {"earliest": settings.contact_from, "latest": settings.contact_until}
    windows = await _recruiter_free(request, now) if live else candidate.call_times
    call_at = next_call_time(now + after, windows, candidate.time_zone, **hours)
    waking = f"{settings.contact_from:%H:%M}-{settings.contact_until:%H:%M} her time"
    limits = (
        f"her call times, {waking} and the recruiter's hours and meetings" if live else f"her call times or {waking}"
    )
    if call_at is None:
        over = max(w.end for w in candidate.call_times) <= now
        detail = f"no call: {'her call times are over' if over else f'no time left inside {limits}'}; email only"
    elif call_at > now:
        detail = f"{'recruiter' if live else 'automated'} call at {call_at:%Y-%m-%d %H:%M}Z (inside {limits})"
    else:
        detail = f"inside {limits}: {'ringing the recruiter' if live else 'calling'} now"
    return CallPlan(**done(key, detail).model_dump(), call_at=call_at, live=live)


async def _recruiter_free(request: CallbackRequest, now: datetime) -> list[Interval]:
    """Her call times within the recruiter's working hours, outside the recruiter's busy times."""
    round_, calls = request.round, request.candidate.call_times
    recruiter, end = round_.organisation.recruiter, max(w.end for w in calls)
    if end <= now:
        return []
    windows = overlap(calls, recruiter.hours.spans(now, end, zone_name=round_.time_zone))
    if windows:
        busy = await find_busy({"recruiter": recruiter_calendar(round_)}, now, end)
        windows = outside(windows, busy["recruiter"])
    return windows


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
