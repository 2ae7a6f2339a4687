"""Runs that heal: a flow run whose process died with its worker (a machine lost, a container
evicted, ``kill -9``) is marked Crashed within two minutes instead of staying "Running" for good.

Every flow run sends Prefect a heartbeat every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds
(30 in the stack and in the README's recipe). The automation installed here expects, after each
heartbeat of a run (and after it starts Running: a process killed at once may never deliver
one), another one or a state that is not Running within ``SILENCE``; when neither
comes, it sets the run Crashed (the pattern Prefect documents for zombie runs). A suspended run
holds no process and sends no heartbeat by design: its Suspended (or Paused) state is one of the
expected events, so it is never taken for dead; nor is a run waiting for a worker slot, which has
not sent a heartbeat yet. A Crashed candidate run is then what the stuck-candidates check and
``rerun-candidate`` act on. Install with ``secondround heal install`` (idempotent).

A second automation covers the moment before the first heartbeat: a run its worker submitted
(Pending) whose process was killed while starting would stay Pending for good; one that is not
Running (or ended) within ``START_PATIENCE`` is crashed too. A run waiting for a worker slot is
Scheduled, not Pending, so a queue is never taken for dead.
"""

from __future__ import annotations

from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

NAME = "secondround: crash runs whose heartbeat stopped"
TAKEOVER = "secondround: take over a crashed run at once"  # prefect.yaml, on stuck-candidates
HEARTBEAT_SECONDS = 30
SILENCE = timedelta(seconds=3 * HEARTBEAT_SECONDS)  # three heartbeats missed
# the states a run leaves Running for, each an answer to "is it still alive?"
NOT_RUNNING = ["Completed", "Failed", "Cancelled", "Crashed", "Cancelling", "Suspended", "Paused"]
NOT_RUNNING += ["Scheduled", "AwaitingRetry", "Pending", "Late"]
START_PATIENCE = timedelta(minutes=3)  # a process worker starts a run in seconds; a busy machine in a minute
NEVER_STARTED = "secondround: crash runs whose process never started"


def _crash_unless(
    name: str, *, after: set[str], expect: set[str], within: timedelta, message: str, description: str
) -> Automation:
    return Automation(
        name=name,
        description=description,
        trigger=EventTrigger(
            after=after,
            expect=expect,
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message=message)],
    )


def zombie_automation(*, silence: timedelta = SILENCE) -> Automation:
    return _crash_unless(
        NAME,
        # from Running too: a process killed the moment it started may never deliver a heartbeat
        after={"prefect.flow-run.heartbeat", "prefect.flow-run.Running"},
        expect={"prefect.flow-run.heartbeat"} | {f"prefect.flow-run.{state}" for state in NOT_RUNNING},
        within=silence,
        message=f"No heartbeat for {silence.total_seconds():.0f} s: its process or worker died",
        description="A flow run that stopped sending heartbeats while Running is marked Crashed (flows/ops/healing.py)",
    )


def never_started_automation(*, patience: timedelta = START_PATIENCE) -> Automation:
    """From Pending. Prefect keeps one window per automation and run open for ``patience``: a
    run resumed within it (Pending, Running, Suspended, Resuming, Pending) is not watched again;
    the stuck-candidates check crashes such a run (``Reason.never_started``)."""
    started = {"Running", *NOT_RUNNING} - {"Pending"}
    return _crash_unless(
        NEVER_STARTED,
        after={"prefect.flow-run.Pending"},
        expect={f"prefect.flow-run.{state}" for state in started},
        within=patience,
        message=f"Pending for {patience.total_seconds():.0f} s: its process died before it ran",
        description="A flow run its worker submitted that never started running is marked Crashed",
    )


async def _install(wanted: Automation) -> str:
    try:
        found = await Automation.aread(name=wanted.name)
    except ValueError:  # none by that name yet
        await wanted.acreate()
        return f"created automation {wanted.name!r}"
    wanted.id = found.id
    await wanted.aupdate()
    return f"updated automation {wanted.name!r}"


async def install_healing(*, silence: timedelta = SILENCE) -> str:
    """Create the automations, or bring existing ones up to date; says which."""
    said = [await _install(zombie_automation(silence=silence)), await _install(never_started_automation())]
    return f"{said[0]} (silence {silence.total_seconds():.0f} s); {said[1]}"
