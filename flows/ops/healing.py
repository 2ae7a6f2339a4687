"""Runs that heal: a flow run whose process died with its worker (a machine lost, a container
evicted, ``kill -9``) is marked Crashed within two minutes instead of staying "Running" for good.

Every flow run sends Prefect a heartbeat every ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY`` seconds
(30 in the stack and in the README's recipe). The automation installed here expects, after each
heartbeat of a run, another one or a state that is not Running within ``SILENCE``; when neither
comes, it sets the run Crashed (the pattern Prefect documents for zombie runs). A suspended run
holds no process and sends no heartbeat by design: its Suspended (or Paused) state is one of the
expected events, so it is never taken for dead; nor is a run waiting for a worker slot, which has
not sent a heartbeat yet. A Crashed candidate run is then what the stuck-candidates check and
``rerun-candidate`` act on. Install with ``secondround heal install`` (idempotent).
"""

from __future__ import annotations

from datetime import timedelta

from prefect.automations import Automation
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

NAME = "secondround: crash runs whose heartbeat stopped"
HEARTBEAT_SECONDS = 30
SILENCE = timedelta(seconds=3 * HEARTBEAT_SECONDS)  # three heartbeats missed
# the states a run leaves Running for, each an answer to "is it still alive?"
NOT_RUNNING = ["Completed", "Failed", "Cancelled", "Crashed", "Cancelling", "Suspended", "Paused"]
NOT_RUNNING += ["Scheduled", "AwaitingRetry", "Pending", "Late"]


def zombie_automation(*, silence: timedelta = SILENCE) -> Automation:
    return Automation(
        name=NAME,
        description="A flow run that stopped sending heartbeats while Running is marked Crashed (flows/ops/healing.py)",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat"} | {f"prefect.flow-run.{state}" for state in NOT_RUNNING},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=silence,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {silence.total_seconds():.0f} s: its process or worker died",
            )
        ],
    )


async def install_healing(*, silence: timedelta = SILENCE) -> str:
    """Create the automation, or bring an existing one up to date; says which."""
    wanted = zombie_automation(silence=silence)
    try:
        found = await Automation.aread(name=NAME)
    except ValueError:  # none by that name yet
        await wanted.acreate()
        return f"created automation {NAME!r} (silence {silence.total_seconds():.0f} s)"
    wanted.id = found.id
    await wanted.aupdate()
    return f"updated automation {NAME!r} (silence {silence.total_seconds():.0f} s)"
