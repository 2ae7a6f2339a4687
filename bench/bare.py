"""Bare Prefect: the same number of flow runs, subflow runs and task runs as a secondround
round, with nothing inside them. ``bench.round`` deploys these on the same stack and compares.

A ``bare-candidate`` run stands for one process start of a candidate run (its first run, each
resume, each deadline timer): it runs its share of subflows and tasks, each doing nothing.
"""

from __future__ import annotations

from uuid import UUID

from prefect import flow, get_client, task
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment

from flows.deployments import WORK_POOL

PULL = [{"prefect.deployments.steps.set_working_directory": {"directory": "{{ $SECONDROUND_PROJECT_DIR }}"}}]


@task(name="bare-task")
async def bare_task(n: int) -> int:
    return n


@flow(name="bare-subflow")
async def bare_subflow(tasks: int) -> int:
    for n in range(tasks):
        await bare_task(n)
    return tasks


@flow(name="bare-candidate")
async def bare_candidate(subflows: int, tasks: int) -> int:
    """``tasks`` task runs in all, spread over the run itself and ``subflows`` subflow runs."""
    share, rest = divmod(tasks, subflows + 1)
    for _ in range(subflows):
        await bare_subflow(share)
    for n in range(share + rest):
        await bare_task(n)
    return tasks


@flow(name="bare-round")
async def bare_round(shares: list[tuple[int, int]]) -> int:
    """Starts one bare-candidate run per (subflows, tasks), as hiring-round starts candidates."""
    for n, (subflows, tasks) in enumerate(shares):
        await arun_deployment(
            "bare-candidate/bare",
            parameters={"subflows": subflows, "tasks": tasks},
            timeout=0,
            as_subflow=False,
            idempotency_key=f"bare-{n}",
        )
    return len(shares)


async def deploy() -> None:
    """Deployments of both flows on the stack's process pool, as ``prefect.yaml`` has ours."""
    async with get_client() as client:
        for name, entrypoint in (("bare-candidate", "bare_candidate"), ("bare-round", "bare_round")):
            flow_id = await client.create_flow_from_name(name)
            await client.create_deployment(
                flow_id=flow_id,
                name="bare",
                entrypoint=f"bench/bare.py:{entrypoint}",
                work_pool_name=WORK_POOL,
                work_queue_name="default",
                pull_steps=PULL,
            )


async def start(shares: list[tuple[int, int]]) -> UUID:
    run: FlowRun = await arun_deployment("bare-round/bare", parameters={"shares": shares}, timeout=0, as_subflow=False)
    return run.id
