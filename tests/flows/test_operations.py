"""Operations on the live stack: a round deployed by command, the stuck-candidate monitor, and
the proactive automation shipped in prefect.yaml."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml
from prefect import get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment
from prefect.events import Event, Resource
from prefect.events.actions import RunDeployment
from prefect.events.clients import PrefectEventsClient
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

from flows.models import Decision, Reply, ReplyChannel
from flows.ops.cli import main
from flows.ops.deploy import PROJECT_DIR
from flows.ops.healing import NAME as HEALING
from flows.ops.healing import NEVER_STARTED
from flows.ops.status import callback_runs
from flows.replies import deliver_reply
from sandbox.harness import Harness, crashed
from sandbox.rounds import candidate, round_data, write_round
from sandbox.stack import SQLITE_FLOW_RUNS

pytestmark = pytest.mark.stack
MONITOR = "stuck-candidates/stuck-candidates"


async def deployment(name: str) -> Any:
    async with get_client() as client:
        return await client.read_deployment_by_name(name)


def test_the_embedded_default_caps_its_pool_at_what_sqlite_holds(harness: Harness) -> None:
    # a worker started with a higher --limit gets no more runs at once: the rest wait their turn
    # (bench/limits.py: at 30 uncapped, runs failed on SQLite's busy writer; capped, all ended)
    async def pool_limit() -> int | None:
        async with get_client() as client:
            return (await client.read_work_pool("secondround")).concurrency_limit

    assert asyncio.run(pool_limit()) == SQLITE_FLOW_RUNS


def test_round_deploy_creates_then_updates_the_rounds_deployment(harness: Harness, tmp_path: Path) -> None:
    data = round_data("deployed", [candidate("dee", day=7)])
    data["schedule"] = {"cron": "30 8 * * 1-5", "active": False}
    harness.round(data, {"dee": ["answer-confirm"]})
    path = write_round(tmp_path, data)
    assert main(["round", "deploy", str(path)]) == 0
    first = asyncio.run(deployment("hiring-round/deployed"))
    [schedule] = first.schedules
    cron = (schedule.schedule.cron, schedule.schedule.timezone, schedule.active)
    assert cron == ("30 8 * * 1-5", "Europe/London", False)
    assert first.parameters == {"request": {"round_file": str(path)}}  # outside the project: absolute
    assert "round:deployed" in first.tags and first.work_pool_name == "secondround"

    async def run_round() -> list[FlowRun]:
        await arun_deployment("hiring-round/deployed", timeout=240, as_subflow=False)
        return await callback_runs("deployed")

    before = asyncio.run(run_round())
    # a candidate shortlisted since, and a new schedule: deploying again updates it in place
    data["schedule"] = {"cron": "0 7 * * 1", "active": False}
    data["candidates"].append(candidate("don", day=8))
    harness.round(data, {"dee": ["answer-confirm"], "don": ["answer-confirm"]})
    write_round(tmp_path, data)
    assert main(["round", "deploy", str(path)]) == 0
    second = asyncio.run(deployment("hiring-round/deployed"))
    assert second.id == first.id and [s.schedule.cron for s in second.schedules] == ["0 7 * * 1"]
    after = asyncio.run(run_round())
    asyncio.run(harness.wait([r.id for r in after], timeout=240))
    assert len(before) == 1 and len(after) == 2  # the next run picked her up
    assert before[0].id in {r.id for r in after}  # and did not start the first one again


def test_a_file_inside_the_project_is_deployed_by_its_relative_path(harness: Harness) -> None:
    folder = PROJECT_DIR / ".secondround" / "test-rounds"
    folder.mkdir(parents=True, exist_ok=True)
    path = write_round(folder, round_data("relative", [candidate("rae", day=7)]))
    assert main(["round", "deploy", str(path)]) == 0
    deployed = asyncio.run(deployment("hiring-round/relative"))
    assert deployed.parameters == {"request": {"round_file": ".secondround/test-rounds/relative.yaml"}}
    [schedule] = deployed.schedules  # the example's, paused
    assert (schedule.schedule.cron, schedule.active) == ("0 9 * * 1-5", False)


async def stuck_run(harness: Harness, round_id: str, candidate_id: str) -> None:
    """Take her reply timer away, as if its run had been deleted: her run now waits for ever."""
    async with get_client() as client:
        timers = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["reply-deadline"])),
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[f"deadline-candidate:{round_id}.{candidate_id}"])
            ),
        )
        for timer in timers:
            await client.delete_flow_run(timer.id)


async def stuck_events(client: PrefectClient, *, expected: int) -> list[str]:
    """The stuck events' resources, once the server has persisted them (it batches, every 2 s)."""
    give_up = time.monotonic() + 60
    while True:
        response = await client._client.post(
            "/events/filter", json={"filter": {"event": {"name": ["secondround.candidate.stuck"]}}, "limit": 50}
        )
        response.raise_for_status()
        events = [e["resource"]["prefect.resource.id"] for e in response.json()["events"]]
        if len(events) >= expected or time.monotonic() > give_up:
            return events
        await asyncio.sleep(2)


async def monitor(**request: Any) -> list[dict[str, Any]]:
    run = await arun_deployment(MONITOR, parameters={"request": request}, timeout=240, as_subflow=False)
    assert run.state is not None and run.state.is_completed(), run.state
    found = await run.state.aresult()
    return [s.model_dump(mode="json") for s in found]


def test_stuck_candidates_are_found_reported_once_and_tabled(harness: Harness) -> None:
    people = [candidate("sue", day=7), candidate("sam", day=8), candidate("sid", day=9)]
    data = round_data("stuck", people)
    data["cadence"]["reply_window"] = "P30D"  # about 4 min here: the monitor looks well before
    round_ = harness.round(data, {"sue": ["voicemail"], "sam": ["voicemail"], "sid": ["voicemail"]})
    limits = {"grace": "PT0S", "running": "PT30M", "decide_before": "P400D"}

    async def play() -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any, list[str]]:
        sue = await harness.start(round_, "sue", env={"SECONDROUND_FAULT_CRASH_AT": "call:before"})
        sam, sid = await harness.start(round_, "sam"), await harness.start(round_, "sid")
        await harness.wait([sue], until=crashed, timeout=300)
        await asyncio.gather(harness.waiting("stuck", "sam"), harness.waiting("stuck", "sid"))
        await stuck_run(harness, "stuck", "sid")
        first = await monitor(round_ids=["stuck"], limits=limits, take_over=False)
        again = await monitor(round_ids=["stuck"], limits=limits, take_over=False)
        async with get_client() as client:
            [table] = await client.read_latest_artifacts(
                artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=["stuck-candidates"]))
            )
            events = await stuck_events(client, expected=6)
        for cid in ("sam", "sid"):  # let them finish
            await deliver_reply("stuck", cid, Reply(decision=Decision.confirm, channel=ReplyChannel.link), patience=300)
        await harness.wait([sam, sid], timeout=300)
        return first, again, table, events

    first, again, table, events = asyncio.run(play())
    reasons = {s["facts"]["candidate_id"]: s["reason"] for s in first}
    assert reasons == {
        "sue": "crashed",
        "sid": "waiting past its deadline",
        "sam": "undecided close to the interview",
    }
    assert {s["facts"]["candidate_id"]: s["reason"] for s in again} == reasons
    assert "no reply timer pending" in next(s["detail"] for s in first if s["facts"]["candidate_id"] == "sid")
    rows = yaml.safe_load(str(table.data)) if isinstance(table.data, str) else table.data
    assert sorted(row["candidate"] for row in rows) == ["sam", "sid", "sue"]
    assert sorted(e.rsplit(".", 1)[-1] for e in events if ".stuck." in e) == ["sam", "sam", "sid", "sid", "sue", "sue"]
    for cid in ("sue", "sam", "sid"):  # one email per candidate and reason, across both checks
        alerts = [e for e in harness.effects("stuck", cid) if ".0.stuck-" in e.key]
        assert len(alerts) == 1 and alerts[0].tries == 1, alerts


def test_the_shipped_proactive_automation_starts_a_check_for_a_candidate_left_undecided(harness: Harness) -> None:
    """prefect.yaml's trigger, as deployed; a copy of it with a 10-second window, fired for real."""

    async def play() -> tuple[Any, list[FlowRun]]:
        async with get_client() as client:
            [shipped] = [
                a
                for a in await client.read_automations()
                if getattr(a.trigger, "posture", None) == Posture.Proactive
                and a.name not in {HEALING, NEVER_STARTED}  # those: test_healing
            ]
            monitor_id = (await client.read_deployment_by_name(MONITOR)).id
            quick_id = await client.create_automation(quick_copy(shipped, monitor_id))
            since = datetime.now(timezone.utc)
            async with PrefectEventsClient() as events:
                await events.emit(
                    Event(
                        event="secondround.candidate.held",
                        resource=Resource({"prefect.resource.id": "secondround.candidate.auto.amy"}),
                    )
                )
            started = await monitor_runs_since(client, monitor_id, since)
            await client.delete_automation(quick_id)
        return shipped, started

    shipped, started = asyncio.run(play())
    trigger = shipped.trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.after == {"secondround.candidate.held"}
    assert trigger.expect == {"secondround.candidate.confirmed", "secondround.candidate.released"}
    assert trigger.for_each == {"prefect.resource.id"} and trigger.within == timedelta(days=4)
    assert [a.type for a in shipped.actions] == ["run-deployment"]
    assert started, "the automation never started stuck-candidates"
    assert started[0].parameters == {"request": {"round_ids": ["auto"], "email_recruiter": False}}


def quick_copy(shipped: Any, monitor_id: UUID) -> AutomationCore:
    """The shipped trigger with a 10-second window, running the monitor on a round of its own."""
    return AutomationCore(
        name="stuck-candidates-test",
        trigger=shipped.trigger.model_copy(update={"within": timedelta(seconds=10)}),
        actions=[
            RunDeployment(
                source="selected",
                deployment_id=monitor_id,
                parameters={"request": {"round_ids": ["auto"], "email_recruiter": False}},
            )
        ],
    )


async def monitor_runs_since(client: PrefectClient, monitor_id: UUID, since: datetime) -> list[FlowRun]:
    give_up, started = time.monotonic() + 120, list[FlowRun]()
    while not started and time.monotonic() < give_up:
        await asyncio.sleep(2)
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["stuck-candidates"])),
            flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[monitor_id])),
        )
        started = [r for r in runs if r.created and r.created > since]
    return started
