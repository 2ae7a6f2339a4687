"""The day itself: after the interview's planned end the panel reports, and her story ends.

Each panel member gets a link to a one-minute form (``web/reporting.py``; the waiting run's
Prefect resume form has the same fields, ``DayReport``): did she come (on time, late, not at
all), did she follow the dress and bring instructions, her enthusiasm and professionalism,
notes. Her run waits for the first report (``Wait.report``), or ``changes.report_within``
after the end, which records "no report"; ``record-report`` settles it once, on her timeline
and her row of the round's table. A no-show tells the recruiter at once. Then her run ends.
Events: ``secondround.candidate.staff-notified`` (the panel asked), ``.reported``, ``.no-show``,
``.no-report``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from prefect import task
from prefect.flow_runs import asuspend_flow_run

from config.settings import get_settings
from flows.day_report import Attendance, DayReport, RecordedReport
from flows.deadline import arm_deadline
from flows.decisions import reply_due
from flows.heartbeats import suspending
from flows.logistics import Booking
from flows.messages.render import panel_report_email
from flows.models import CallbackRequest, CallbackResult, Wait
from flows.replies import inbox
from flows.settle import alert_recruiter
from flows.timeline import Timeline
from tasks.effects import BY_BUSINESS_KEY, Done, EffectKey, done, recall
from tasks.mail import send_email
from tasks.run_inputs import read_input


async def the_day(
    request: CallbackRequest, booking: Booking, result: CallbackResult, timeline: Timeline, *, run_id: str, move: int
) -> CallbackResult:
    """Ask the panel how her interview went, record the first report (or none), end her story."""
    round_, slot = request.round, booking.slot
    assert slot is not None
    for member in map(round_.staff_member, round_.plan.panel):
        message = panel_report_email(round_, request.candidate, slot, member, move=move)
        asked = request.key(f"report-ask-{member.id}", attempt=move)
        timeline.add(await send_email(asked, message, to_candidate=False))
    # the panel has report_within from being asked (read once: the timer is armed once)
    until = datetime.now(timezone.utc) + round_.changes.report_within
    report = (await wait_for_report(request, move, timeline, run_id=run_id, until=until)).report
    if report.came is Attendance.no_show:
        timeline.add(await _tell_of_no_show(request, report, move=move))
    await timeline.publish(f"{result.outcome.value}: {report.summary()}", next_action="-", outcome=result.outcome.value)
    return result.model_copy(update={"report": report})


async def _tell_of_no_show(request: CallbackRequest, report: DayReport, *, move: int) -> Done:
    who = f"{request.candidate.name} ({request.candidate.email}, {request.candidate.phone})"
    detail = f"{who} did not come to the interview ({report.by or 'the panel'} reported). {report.notes}".strip()
    return await alert_recruiter(request, request.key("alert-no-show", attempt=move), "did not come", detail)


async def wait_for_report(
    request: CallbackRequest, move: int, timeline: Timeline, *, run_id: str, until: datetime
) -> RecordedReport:
    """Suspend (no process held) until a panel member's report, the recruiter's resume form or the
    deadline; a replay, retry or rerun that reaches this wait again takes its record."""
    now = datetime.now(timezone.utc)
    due = reply_due(now, until - now, time_scale=get_settings().time_scale)
    pause_key = Wait.report.pause_key(move)
    recorded_key = request.key(Wait.report.recorded_step(), attempt=move)
    timer = request.key(Wait.report.timer_step(), attempt=move)
    timeline.add(await arm_deadline(timer, flow_run_id=run_id, pause_key=pause_key, due=due))
    ended = await recall(recorded_key, RecordedReport)
    if ended is not None:
        timeline.add(ended)
        return ended
    report = await _arrived(move, run_id=run_id, pause_key=pause_key)
    if report is None:
        await timeline.publish(
            "interviewed: waiting for the panel's report",
            next_action=f"no report: recorded at {due:%d %b %H:%M:%S} UTC",
        )
        async with suspending():  # no heartbeat once suspended, or the run is taken for dead
            report = await asuspend_flow_run(wait_for_input=DayReport, key=pause_key)
    recorded = await record_report(recorded_key, report=report, run_id=run_id, pause_key=pause_key)
    timeline.add(recorded)
    return recorded


async def _arrived(move: int, *, run_id: str, pause_key: str) -> DayReport | None:
    """A report that came before this wait could suspend: kept by Prefect for a run resumed here
    before it crashed, or stored while no run of hers was waiting."""
    earlier = await read_input(Wait.report.response_key(move), run_id=UUID(run_id))
    if earlier is not None:
        return DayReport(**earlier)
    stored = await _stored(run_id, pause_key)
    return stored[0] if stored else None


async def _stored(run_id: str, pause_key: str) -> list[DayReport]:
    return [r.report for r in await inbox(UUID(run_id)) if r.report is not None and r.answers_wait(pause_key)]


@task(name="record-report", cache_policy=BY_BUSINESS_KEY)
async def record_report(key: EffectKey, *, report: DayReport, run_id: str, pause_key: str) -> RecordedReport:
    """Settle the day's report once: a stored report beats the deadline's "no report" (the two
    can resume the run at the same moment). Cached, so replays record the same."""
    if report.came is Attendance.no_report:
        stored = await _stored(run_id, pause_key)
        report = stored[0] if stored else report
    event = {Attendance.no_show: "no-show", Attendance.no_report: "no-report"}.get(report.came, "reported")
    by = f" ({report.by})" if report.by else ""
    line = done(
        key,
        f"the panel's report{by}: {report.summary()}" + (f"; notes: {report.notes}" if report.notes else ""),
        event=event,
        came=report.came.value,
        followed=report.followed,
    )
    return RecordedReport(**line.model_dump(), report=report)
