"""A run that suspends sends no heartbeat after it (``flows/heartbeats.py``): Prefect's own
heartbeat of a run is what the stand-in engine below receives, through the real method."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from prefect.exceptions import Pause
from prefect.flow_engine import BaseFlowRunEngine

from flows import heartbeats
from flows.heartbeats import suspending


@pytest.fixture(autouse=True)
def beating_again() -> Iterator[None]:
    yield
    heartbeats._SUSPENDING.clear()  # this process is no flow run that exits: let others beat


class Engine:
    """Just enough of a flow-run engine for Prefect's heartbeat method: it counts the times the
    method went as far as looking at the run (a beat it would send)."""

    beats = 0

    @property
    def flow_run(self) -> None:
        self.beats += 1


def beat(engine: Engine) -> None:
    BaseFlowRunEngine._emit_flow_run_heartbeat(engine, {}, [])  # type: ignore[arg-type]


def test_no_heartbeat_from_the_moment_a_run_suspends_until_its_process_exits() -> None:
    engine = Engine()

    async def suspend() -> None:
        async with suspending():
            beat(engine)  # Prefect's heartbeat thread, between Suspended and the process's exit
            raise Pause()

    with pytest.raises(Pause):
        asyncio.run(suspend())
    beat(engine)  # still exiting: quiet to the end
    assert engine.beats == 0


@pytest.mark.parametrize("ending", [None, RuntimeError("Flow run cannot be suspended")])
def test_a_suspension_not_taken_lets_the_heartbeats_go_on(ending: Exception | None) -> None:
    engine = Engine()

    async def suspend() -> Any:
        async with suspending():  # resumed already (returns her input), or refused (raises)
            if ending is not None:
                raise ending

    with contextlib.suppress(RuntimeError):
        asyncio.run(suspend())
    beat(engine)
    assert engine.beats == 1
