"""A run whose machine is lost heals: its worker is killed and its flow process frozen (no
process is left to tell the server anything), and the heartbeat automation of
``flows/ops/healing.py`` marks it Crashed within two minutes, where it used to stay "Running"
for good. A run that is only suspended, waiting for her reply, is left alone."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.objects import FlowRun

from flows.ops.healing import SILENCE
from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data
from sandbox.stack import LocalStack

pytestmark = pytest.mark.stack


def flow_processes(run_id: UUID) -> list[int]:
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if needle in environ.read_bytes():
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_a_lost_run_is_crashed_by_its_missing_heartbeat_and_a_suspended_one_is_left_alone(
    harness: Harness, stack: LocalStack
) -> None:
    waiting = round_data("heal-wait", [candidate("ivy", day=10)])
    waiting["cadence"] = {"reply_window": "P30D"}  # 30 days stand for 4 minutes here: suspended all along
    waiting_round = harness.round(waiting, {"ivy": ["voicemail"]})
    lost_round = harness.round(round_data("heal", [candidate("zoe", day=9)]), {"zoe": ["slow-answer"]})

    async def play() -> tuple[FlowRun, FlowRun, float]:
        ivy = await harness.start(waiting_round, "ivy")
        await harness.wait([ivy], until=lambda r: bool(r.state and r.state.name == "Suspended"), timeout=180)
        zoe = await harness.start(lost_round, "zoe")
        await harness.wait([zoe], until=lambda r: bool(r.state and r.state.is_running()), timeout=120)
        while not flow_processes(zoe):
            await asyncio.sleep(0.2)
        stack.kill_workers()  # the machine is gone: its worker first, then the run's process
        for pid in flow_processes(zoe):
            os.kill(pid, signal.SIGSTOP)  # frozen: no heartbeat, no state, nothing reported
        lost = time.monotonic()
        try:
            runs = await harness.wait([zoe], until=lambda r: bool(r.state and r.state.is_crashed()), timeout=240)
        finally:
            for pid in flow_processes(zoe):
                os.kill(pid, signal.SIGKILL)
            stack.start_workers()
        async with get_client() as client:
            still = await client.read_flow_run(ivy)
        return runs[zoe], still, time.monotonic() - lost

    crashed, suspended, healed_after = asyncio.run(play())
    assert crashed.state is not None and "No heartbeat" in (crashed.state.message or ""), crashed.state
    assert healed_after < SILENCE.total_seconds() + 60, healed_after  # 30 s heartbeats, 90 s of silence
    assert suspended.state is not None and suspended.state.name == "Suspended"  # no heartbeat for minutes, by design
