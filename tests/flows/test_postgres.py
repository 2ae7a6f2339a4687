"""The scale-out configuration: the Prefect server on PostgreSQL and a process work pool with two
workers, one round through it. A stack of its own (the session's stack stays on SQLite)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.deployments import arun_deployment

from flows.models import CallbackResult, Outcome
from flows.ops.status import callback_runs
from sandbox.harness import Harness
from sandbox.postgres import Postgres
from sandbox.rounds import candidate, round_data, write_round
from sandbox.stack import LocalStack
from tests.flows.conftest import REPLY_WINDOW_SECONDS

pytestmark = pytest.mark.stack
CALLS = {"pat": ["answer-confirm"], "quin": ["answer-decline"], "rob": ["answer-confirm"], "ros": ["busy", "busy"]}


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Harness]]:
    home = tmp_path_factory.mktemp("scaled")
    behaviours = home / "behaviours.yaml"
    behaviours.write_text("{}\n")
    with (
        Postgres(home / "postgres") as database,
        LocalStack(
            home / "stack",
            time_scale=86400 / REPLY_WINDOW_SECONDS,
            behaviours=behaviours,
            database_url=database.url,
            workers=2,
            worker_limit=2,  # neither worker can take the whole round
        ) as stack,
        stack.client_settings(),
    ):
        yield stack, Harness(stack, home / "rounds")


def test_a_round_runs_on_postgresql_with_two_workers(scaled: tuple[LocalStack, Harness], tmp_path: Path) -> None:
    stack, harness = scaled
    days = dict(zip(CALLS, (7, 8, 9, 10), strict=True))
    data = round_data("scaled", [candidate(cid, day=days[cid]) for cid in CALLS])
    data["cadence"]["attempts"] = 1
    harness.round(data, CALLS)
    path = write_round(tmp_path, data)

    async def play() -> tuple[list[CallbackResult], set[str]]:
        parameters = {"request": {"round_file": str(path)}}
        round_run = await arun_deployment("hiring-round/example", parameters=parameters, timeout=300, as_subflow=False)
        assert round_run.state is not None and round_run.state.is_completed(), round_run.state
        runs = await callback_runs("scaled")
        await harness.wait([r.id for r in runs], timeout=300)
        results = [await harness.result(r.id) for r in runs]
        async with get_client() as client:
            logs = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[round_run.id, *(r.id for r in runs)]))
            )
        workers = {m.group(1) for log in logs if (m := re.match(r"Worker '([^']+)' submitting", log.message))}
        return results, workers

    results, workers = asyncio.run(play())
    assert {r.candidate_id: r.outcome for r in results} == {
        "pat": Outcome.confirmed,
        "quin": Outcome.declined,
        "rob": Outcome.confirmed,
        "ros": Outcome.released,
    }
    assert len(workers) == 2, workers  # both workers ran some of the round
    assert "postgresql+asyncpg" in stack.env["PREFECT_API_DATABASE_CONNECTION_URL"]
