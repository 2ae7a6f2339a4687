"""The durable wait: a candidate run suspends, holding no process, until her reply, the
recruiter's form or a timer resumes it.

A wait (``flows.models.Wait``) arms its timer first, a scheduled ``reply-deadline`` run
(``flows.deadline``), then suspends with ``suspend_flow_run(wait_for_input=Reply)``. After the
resume the flow replays from the top; ``record-reply`` settles once how the wait ended, and a
replay, a retry or a rerun that reaches the same wait again takes that record instead of
suspending anew. Events: ``secondround.candidate.replied``, ``.no-reply``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from prefect import task
from prefect.flow_runs import asuspend_flow_run

from config.settings import get_settings
from flows.deadline import arm_deadline
from flows.decisions import reply_due
from flows.heartbeats import suspending
from flows.models import CallbackRequest, Decision, RecordedReply, Reply, Wait
from flows.replies import inbox
from flows.timeline import Timeline
from tasks.effects import BY_BUSINESS_KEY, EffectKey, done, recall
from tasks.run_inputs import read_input


async def wait_for_reply(request: CallbackRequest, attempt: int, timeline: Timeline, *, run_id: str) -> Reply:
    """Suspend (no process held) until a reply, the recruiter or the deadline resumes us."""
    window = request.round.cadence.reply_window
    until = datetime.now(timezone.utc) + window  # only read when the timer is first armed
    return await wait(request, attempt, timeline, run_id=run_id, until=until, what=Wait.reply)


async def wait(
    request: CallbackRequest,
    attempt: int,
    timeline: Timeline,
    *,
    run_id: str,
    until: datetime,
    what: Wait,
    ring: int = 1,
    since: datetime | None = None,
) -> Reply:
    """Suspend until ``until`` (scaled by the time scale) or an earlier reply; the timer is a
    scheduled ``reply-deadline`` run, so nothing is held meanwhile. A wait for her pick
    (``Wait.choice``) is ended only by an answer to it (``Reply.answers``: its pause key).
    ``since``: when ``until`` was decided; in compressed time a chain of waits toward fixed
    moments (her reminders, the interview's end) then takes the compressed distance from there,
    not each from its own start again (at time scale 1 the two are the same)."""
    origin = since or datetime.now(timezone.utc)
    due = reply_due(origin, until - origin, time_scale=get_settings().time_scale)
    pause_key = what.pause_key(attempt, ring)
    recorded_key = request.key(what.recorded_step(ring), attempt=attempt)
    timer = request.key(what.timer_step(ring), attempt=attempt)
    timeline.add(await arm_deadline(timer, flow_run_id=run_id, pause_key=pause_key, due=due))
    ended = await recall(recorded_key, RecordedReply)
    if ended is not None:
        # this wait ended before, in this run or in one it took over from (a rerun): its record
        # decides; a rerun's new timer for it finds nothing waiting on it and does nothing
        timeline.add(ended)
        return ended.reply
    reply = await _arrived(what, attempt, ring, run_id=run_id, pause_key=pause_key)
    if reply is None:
        waiting = _waiting_line(what, attempt, ring)
        await timeline.publish(waiting, next_action=_next_action(request, what, attempt, due, ring=ring))
        async with suspending():  # no heartbeat once suspended, or the run is taken for dead
            reply = await asuspend_flow_run(wait_for_input=Reply, key=pause_key)
    recorded = await record_reply(recorded_key, reply=reply, run_id=run_id, pause_key=pause_key)
    timeline.add(recorded)
    return recorded.reply


async def _arrived(what: Wait, attempt: int, ring: int, *, run_id: str, pause_key: str) -> Reply | None:
    """What ended this wait before it could suspend, if anything: the answer Prefect kept for it
    (this run was resumed here before it crashed and was retried: a retry makes Prefect forget the
    run's pauses, and suspending again would wait for a timer that has fired), or an answer stored
    while no run of hers was waiting (the one she answered died)."""
    earlier = await read_input(what.response_key(attempt, ring), run_id=UUID(run_id))
    if earlier is not None:
        return Reply(**earlier)
    if what not in (Wait.reply, Wait.choice, Wait.day):
        return None
    kept = _answers(await inbox(UUID(run_id)), pause_key)
    return kept[0] if kept else None


def _answers(stored: list[Reply], pause_key: str) -> list[Reply]:
    """The stored answers that can end the wait ``pause_key`` (``Reply.answers_wait``)."""
    return [r for r in stored if r.answers_wait(pause_key)]


def _waiting_line(what: Wait, attempt: int, ring: int = 1) -> str:
    if what is Wait.choice:
        return f"waiting for her to pick another time ({_ordinal(ring)} offer of move {attempt})"
    if what is Wait.day:
        return f"confirmed: waiting for her {_ordinal(ring)} reminder's time"
    if what is Wait.interview:
        return "confirmed and reminded: waiting for the interview's planned end"
    if ring > 1:
        return f"waiting to ring the recruiter again (ring {ring}) for attempt {attempt}"
    waiting = {Wait.reply: "a reply to", Wait.call_window: "her call window for", Wait.text_window: "her morning for"}
    return f"waiting for {waiting[what]} attempt {attempt}"


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _next_action(request: CallbackRequest, what: Wait, attempt: int, due: datetime, *, ring: int = 1) -> str:
    if what is Wait.choice:
        return f"no time picked: the recruiter is told at {due:%d %b %H:%M:%S} UTC"
    if what is Wait.day:
        return f"remind her at {due:%d %b %H:%M:%S} UTC"
    if what is Wait.interview:
        return f"ask the panel for their report at {due:%d %b %H:%M:%S} UTC"
    if ring > 1:
        return f"ring the recruiter again at {due:%d %b %H:%M:%S} UTC"
    if what is Wait.reply:
        then = "no reply: next attempt" if attempt < request.round.cadence.attempts else "no reply: release"
    else:
        then = "call her" if what is Wait.call_window else "text her"
    return f"{then} at {due:%d %b %H:%M:%S} UTC"


@task(name="record-reply", cache_policy=BY_BUSINESS_KEY)
async def record_reply(key: EffectKey, *, reply: Reply, run_id: str, pause_key: str = "") -> RecordedReply:
    """Settle what a wait ended with, once: a stored answer beats the deadline's "no reply"
    (the two can resume the run at the same moment). Cached, so replays decide the same."""
    if reply.decision is Decision.no_reply:
        stored = _answers(await inbox(UUID(run_id)), pause_key or Wait.reply.pause_key(key.attempt))
        reply = stored[0] if stored else reply
    if reply.decision is Decision.no_reply:
        hours = Wait.recorded_by(key.step)
        if hours is not None and hours is not Wait.reply:
            line = done(key, hours.opened)
        else:
            line = done(key, f"no reply by the deadline ({reply.channel.value})", event="no-reply")
    elif reply.chosen is not None:
        picked = f"{reply.chosen.start:%d %b %H:%M} UTC in {reply.chosen.room_id}"
        line = done(key, f"picked {picked} by {reply.channel.value}", event="picked", channel=reply.channel.value)
    else:
        said = "".join(
            f"; {part}" for part in (reply.impressions(), f"notes: {reply.notes}" if reply.notes else "") if part
        )
        line = done(
            key,
            f"replied {reply.decision.value} by {reply.channel.value}{said}",
            event="replied",
            decision=reply.decision.value,
            channel=reply.channel.value,
            enthusiasm=reply.enthusiasm,
            professionalism=reply.professionalism,
            asked_questions=bool(reply.questions),
        )
    return RecordedReply(**line.model_dump(), reply=reply)
