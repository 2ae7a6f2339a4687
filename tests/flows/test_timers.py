"""Timers that heal: a candidate never waits on a timer that no longer works.

Two ways a wait's timer broke when workers were killed (issue 18's trials): her run was killed
while suspending, after Prefect recorded Suspended but before it saved the input's schema, so
every resume with an input was refused; and the timer's own run died (in an in-process retry,
or crashed) and nothing resumed her. Here each is made to happen, and she goes on."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterTags,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import FlowRun
from prefect.states import Crashed

from flows.models import Outcome
from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data
from tests.flows.test_operations import monitor

pytestmark = pytest.mark.stack


async def her_timer(round_id: str, candidate_id: str) -> FlowRun:
    async with get_client() as client:
        [timer] = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["reply-deadline"])),
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[f"deadline-candidate:{round_id}.{candidate_id}"])
            ),
        )
    return timer


async def until_past(moment: datetime) -> None:
    while (delay := (moment - datetime.now(timezone.utc)).total_seconds()) > -1:
        await asyncio.sleep(min(delay + 1.5, 5))


def _one_silent_attempt(harness: Harness, round_id: str, cid: str, day: int) -> Any:
    data = round_data(round_id, [candidate(cid, day=day)])
    data["cadence"]["attempts"] = 1
    data["cadence"]["reply_window"] = "P3D"  # about 24 s here: time to break her wait first
    return harness.round(data, {cid: ["voicemail"]})


def test_a_run_killed_while_suspending_is_resumed_by_its_timer(harness: Harness) -> None:
    round_ = _one_silent_attempt(harness, "half-suspended", "ivy", 14)

    async def play() -> tuple[Any, Any]:
        run_id = await harness.start(round_, "ivy")
        await harness.waiting("half-suspended", "ivy")
        async with get_client() as client:  # what a kill between the two writes leaves
            run = await client.read_flow_run(run_id)
            assert run.state is not None and run.state.state_details.run_input_keyset is not None
            await client.delete_flow_run_input(run_id, run.state.state_details.run_input_keyset["schema"])
        await harness.wait([run_id], timeout=300)
        timer = await her_timer("half-suspended", "ivy")
        await harness.wait([timer.id], timeout=120)
        return await harness.result(run_id), timer.id

    result, timer_id = asyncio.run(play())
    assert result.outcome is Outcome.released
    said = asyncio.run(_timer_said(timer_id))
    assert any("resumed" in line and "input schema restored" in line for line in said), said


async def _timer_said(timer_id: UUID) -> list[str]:
    async with get_client() as client:
        timer = await client.read_flow_run(timer_id)
        assert timer.state is not None and timer.state.is_completed(), timer.state
        logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[timer_id])))
    return [log.message for log in logs]


def test_a_timer_that_died_is_fired_by_the_check(harness: Harness) -> None:
    round_ = _one_silent_attempt(harness, "dead-timer", "jon", 15)
    limits = {"grace": "PT1H", "running": "PT30M", "decide_before": "P1D", "timer_grace": "PT0S"}

    async def play() -> tuple[list[dict[str, Any]], Any, float]:
        run_id = await harness.start(round_, "jon")
        await harness.waiting("dead-timer", "jon")
        timer = await her_timer("dead-timer", "jon")
        async with get_client() as client:  # its process died: it will never fire
            await client.set_flow_run_state(timer.id, Crashed(message="killed with its worker"), force=True)
        assert timer.expected_start_time is not None
        await until_past(timer.expected_start_time)
        started = time.monotonic()
        found = await monitor(round_ids=["dead-timer"], limits=limits)
        await harness.wait([run_id], timeout=300)
        return found, await harness.result(run_id), time.monotonic() - started

    found, result, took = asyncio.run(play())
    [stuck] = found
    assert stuck["reason"] == "waiting on a timer that did not fire"
    assert "is Crashed" in stuck["detail"] and "fired by this check: resumed" in stuck["detail"]
    assert result.outcome is Outcome.released and took < 300
    effects = harness.effects("dead-timer", "jon")
    assert not [e for e in effects if ".stuck-" in e.key] and all(e.tries == 1 for e in effects)  # healed: no alert
