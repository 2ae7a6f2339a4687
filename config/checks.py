"""What a valid round file may still get wrong: warnings a coordinator should read before the
round runs. Pure; ``now`` is passed in. Errors (a file that cannot run) are the schema's
(``config.round``); these are warnings: the round runs, and each names a path and what follows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from config.fields import Interval
from config.round import Candidate, HiringRound, InterviewPlan


def round_warnings(round_: HiringRound, *, now: datetime) -> list[str]:
    """One ``path: what`` line per warning, candidates in file order."""
    found: list[str] = []
    spans = office_spans(round_)
    for index, candidate in enumerate(round_.candidates):
        lines = _candidate_warnings(round_, candidate, spans, now=now)
        found += [f"candidates[{index}].{line}" for line in lines]
    return found


def open_days(plan: InterviewPlan) -> tuple[date, ...]:
    """The plan's dates on which the office is open."""
    every = (plan.dates.start + timedelta(days=n) for n in range((plan.dates.end - plan.dates.start).days + 1))
    return tuple(day for day in every if plan.hours.open_on(day))


def office_spans(round_: HiringRound) -> list[tuple[datetime, datetime]]:
    """Each open day's office hours within the plan's dates, as aware spans."""
    plan, zone = round_.plan, ZoneInfo(round_.venue_zone)
    return [
        (datetime.combine(day, plan.hours.start, zone), datetime.combine(day, plan.hours.end, zone))
        for day in open_days(plan)
    ]


def _candidate_warnings(
    round_: HiringRound, candidate: Candidate, spans: list[tuple[datetime, datetime]], *, now: datetime
) -> list[str]:
    plan, lines = round_.plan, []
    first, last = _plan_bounds(round_)
    for n, window in enumerate(candidate.interview_times):
        where = f"interview_times[{n}]"
        if window.end <= first or window.start >= last:
            lines.append(f"{where}: outside the plan's dates ({plan.dates.start} to {plan.dates.end})")
        elif window.end - window.start < plan.duration:
            lines.append(f"{where}: shorter than the interview ({plan.duration})")
    if not any(_overlap(w, span) >= plan.duration for w in candidate.interview_times for span in spans):
        lines.append(
            f"interview_times: {candidate.name}'s free times never hold a whole interview inside the office hours "
            f"({plan.hours.start:%H:%M}-{plan.hours.end:%H:%M} {round_.venue_zone}): her run will end with no slot"
        )
    if all(w.end <= now for w in candidate.call_times):
        lines.append(f"call_times: all in the past: {candidate.name} gets email only")
    elif all(w.start >= last for w in candidate.call_times):
        lines.append(f"call_times: all after the last interview day: {candidate.name} gets email only")
    return lines


def _plan_bounds(round_: HiringRound) -> tuple[datetime, datetime]:
    zone, dates = ZoneInfo(round_.venue_zone), round_.plan.dates
    start = datetime.combine(dates.start, datetime.min.time(), zone)
    return start, datetime.combine(dates.end + timedelta(days=1), datetime.min.time(), zone)


def _overlap(window: Interval, span: tuple[datetime, datetime]) -> timedelta:
    return max(timedelta(0), min(window.end, span[1]) - max(window.start, span[0]))


def plan_problems(round_: HiringRound) -> list[str]:
    """Errors: a plan in which no interview can ever be booked."""
    hours, plan = round_.plan.hours, round_.plan
    day = date(2000, 1, 3)
    length = datetime.combine(day, hours.end) - datetime.combine(day, hours.start)
    if length < plan.duration:
        return [f"plan.hours: {hours.start:%H:%M}-{hours.end:%H:%M} is shorter than the interview ({plan.duration})"]
    if not office_spans(round_):
        return ["plan.hours: the office is closed on every day of plan.dates"]
    return []
