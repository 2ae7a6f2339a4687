"""When a candidate is stuck: pure rules, no I/O (``flows/monitor.py`` gathers the facts).

A candidate is stuck when her latest callback run:
- waits on a timer that was due minutes ago and is not firing (its run died in a retry, crashed,
  failed, or could not resume her): the check fires it itself;
- waits with no timer at all, or past its deadline plus a grace;
- was submitted to a worker (Pending) minutes ago and never started: the check crashes it, to be
  taken over;
- has been running (or cancelling) longer than a run ever should;
- crashed or failed and no newer run took over;
- is still undecided too close to her interview (the coordinator must act by hand).
Prefect cannot filter runs by time in a state, so these are checked here on the runs' facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field


class Reason(StrEnum):
    never_started = "submitted to a worker but never started"
    dead_timer = "waiting on a timer that did not fire"
    overdue_wait = "waiting past its deadline"
    running_too_long = "running too long"
    crashed = "crashed"
    failed = "failed"
    undecided = "undecided close to the interview"


class RunFacts(BaseModel):
    """What the monitor knows about a candidate's latest run."""

    round_id: str
    candidate_id: str
    flow_run_id: str
    state_type: str = Field(description="Prefect state type: RUNNING, PAUSED, CRASHED, ...")
    state_name: str
    since: datetime = Field(description="When the run entered its state")
    pause_key: str = Field(default="", description="The wait it is suspended in (a pause key), if any")
    deadline: datetime | None = Field(default=None, description="When her timer run for that wait is due, if any")
    timer_state: str = Field(default="", description="Her timer run's state name (Scheduled, AwaitingRetry, ...)")
    interview: datetime | None = Field(default=None, description="Start of her held or planned slot")


class Limits(BaseModel):
    grace: timedelta = Field(default=timedelta(hours=1), description="How late a reply deadline may fire")
    pending: timedelta = Field(
        default=timedelta(minutes=5), description="A run submitted this long ago that never started is dead"
    )
    timer_grace: timedelta = Field(
        default=timedelta(minutes=5), description="After this past its due time a timer that is not running is dead"
    )
    running: timedelta = Field(default=timedelta(minutes=30), description="Longest a run may run between waits")
    decide_before: timedelta = Field(
        default=timedelta(hours=48), description="Flag a candidate still undecided this long before her interview"
    )


class Stuck(BaseModel):
    facts: RunFacts
    reason: Reason
    detail: str


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _dead_timer(facts: RunFacts, *, now: datetime, limits: Limits) -> bool:
    due = facts.deadline
    return due is not None and now > due + limits.timer_grace and facts.timer_state not in {"Running", "Pending"}


def _waiting_problem(facts: RunFacts, *, now: datetime, limits: Limits) -> tuple[Reason, str] | None:
    since = now - facts.since
    if _dead_timer(facts, now=now, limits=limits):
        assert facts.deadline is not None
        return Reason.dead_timer, f"its timer was due {_ago(now - facts.deadline)} ago and is {facts.timer_state}"
    if facts.deadline is None:
        return Reason.overdue_wait, f"waiting for {_ago(since)} with no reply timer pending"
    if now > facts.deadline + limits.grace:
        return Reason.overdue_wait, f"its reply deadline passed {_ago(now - facts.deadline)} ago"
    return None


def _problem(facts: RunFacts, *, now: datetime, limits: Limits) -> tuple[Reason, str] | None:
    kind, since = facts.state_type, now - facts.since
    if kind in {"CRASHED", "FAILED"}:
        return (Reason.crashed if kind == "CRASHED" else Reason.failed), f"{facts.state_name} {_ago(since)} ago"
    if kind == "PAUSED":
        return _waiting_problem(facts, now=now, limits=limits)
    if kind == "PENDING" and since > limits.pending:
        return Reason.never_started, f"Pending for {_ago(since)}: its process died before it ran"
    if kind in {"RUNNING", "PENDING", "CANCELLING"} and since > limits.running:
        return Reason.running_too_long, f"{kind.lower()} for {_ago(since)}"
    return None


def diagnose(facts: RunFacts, *, now: datetime, limits: Limits) -> Stuck | None:
    """Why this run is stuck, or None; the most urgent reason first."""
    if facts.state_type in {"COMPLETED", "CANCELLED"}:
        return None
    problem = _problem(facts, now=now, limits=limits)
    if problem is None and facts.interview is not None and now > facts.interview - limits.decide_before:
        left = facts.interview - now
        when = f"her interview starts in {_ago(left)}" if left > timedelta(0) else "her interview time has passed"
        problem = Reason.undecided, f"no decision yet and {when}"
    return Stuck(facts=facts, reason=problem[0], detail=problem[1]) if problem else None
