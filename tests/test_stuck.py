"""The stuck-candidate rules, without Prefect: each reason, and what is not stuck."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from flows.ops.stuck import Limits, Reason, RunFacts, diagnose

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LIMITS = Limits(grace=timedelta(hours=1), running=timedelta(minutes=30), decide_before=timedelta(hours=48))
SOON = NOW + timedelta(days=10)


def facts(state: str, *, ago: timedelta = timedelta(minutes=5), **extra: Any) -> RunFacts:
    base: dict[str, Any] = {"interview": SOON}
    return RunFacts(
        round_id="r",
        candidate_id="c",
        flow_run_id="run",
        state_type=state,
        state_name=state.title(),
        since=NOW - ago,
        **(base | extra),
    )


@pytest.mark.parametrize(
    ("run", "reason", "detail"),
    [
        (facts("CRASHED", ago=timedelta(hours=2)), Reason.crashed, "Crashed 2 h 0 min ago"),
        (facts("FAILED"), Reason.failed, "Failed 5 min ago"),
        (
            facts("PAUSED", deadline=NOW - timedelta(minutes=20), timer_state="AwaitingRetry"),  # died in a retry
            Reason.dead_timer,
            "its timer was due 20 min ago and is AwaitingRetry",
        ),
        (facts("PAUSED", deadline=NOW - timedelta(hours=3), timer_state="Crashed"), Reason.dead_timer, "Crashed"),
        (facts("PAUSED", deadline=NOW - timedelta(hours=3), timer_state="Running"), Reason.overdue_wait, "3 h 0 min"),
        (facts("PAUSED", ago=timedelta(days=2)), Reason.overdue_wait, "no reply timer pending"),
        (facts("RUNNING", ago=timedelta(minutes=45)), Reason.running_too_long, "running for 45 min"),
        (facts("PENDING", ago=timedelta(minutes=8)), Reason.never_started, "Pending for 8 min: its process died"),
        # a cancel its worker never carried out: her claim is held until someone looks
        (facts("CANCELLING", ago=timedelta(hours=1)), Reason.running_too_long, "cancelling for 1 h 0 min"),
        (
            facts("PAUSED", deadline=NOW + timedelta(hours=5), interview=NOW + timedelta(hours=30)),
            Reason.undecided,
            "her interview starts in 30 h 0 min",
        ),
        (facts("RUNNING", interview=NOW - timedelta(hours=1)), Reason.undecided, "interview time has passed"),
    ],
)
def test_each_reason(run: RunFacts, reason: Reason, detail: str) -> None:
    stuck = diagnose(run, now=NOW, limits=LIMITS)
    assert stuck is not None and stuck.reason is reason and detail in stuck.detail


@pytest.mark.parametrize(
    "run",
    [
        facts("PAUSED", deadline=NOW - timedelta(minutes=3), timer_state="Late"),  # late, but within its grace
        facts("PAUSED", deadline=NOW - timedelta(minutes=30), timer_state="Running"),  # firing now
        facts("PAUSED", deadline=NOW + timedelta(hours=20)),
        facts("RUNNING", ago=timedelta(minutes=10)),
        facts("PENDING", ago=timedelta(minutes=2)),  # its process is starting
        facts("SCHEDULED", ago=timedelta(days=3), interview=None),  # waiting for her call window, no slot yet
        facts("COMPLETED", interview=NOW),  # decided: never stuck
        facts("CANCELLED"),
        facts("CANCELLING", ago=timedelta(minutes=2)),  # being stopped now
    ],
)
def test_not_stuck(run: RunFacts) -> None:
    assert diagnose(run, now=NOW, limits=LIMITS) is None


def test_a_broken_run_is_reported_as_broken_even_close_to_the_interview() -> None:
    stuck = diagnose(facts("CRASHED", interview=NOW + timedelta(hours=1)), now=NOW, limits=LIMITS)
    assert stuck is not None and stuck.reason is Reason.crashed
