"""``secondround round deploy``: a round as a ``hiring-round`` deployment of its own.

The deployment is named after the round, runs on the round file's schedule in the round's time
zone and passes the file's path (relative to the project folder when it lies inside, so every
worker reads it from its own checkout). Deploying again updates it in place: the schedule is
replaced, runs already started stay as they are. Each scheduled run re-reads the file, so
shortlisted candidates added since are picked up; those started before are not restarted
(their runs' idempotency keys).
"""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.schedules import CronSchedule
from prefect.utilities.callables import parameter_schema

from config.loading import load_round
from flows.deployments import WORK_POOL, round_tag
from flows.round import hiring_round

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENTRYPOINT = "flows/round.py:hiring_round"


def project_path(round_file: Path) -> str:
    """The path a worker is given: relative to the project folder when the file lies inside."""
    resolved = round_file.resolve()
    project = Path(os.environ.get("SECONDROUND_PROJECT_DIR", PROJECT_DIR)).resolve()
    return str(resolved.relative_to(project)) if resolved.is_relative_to(project) else str(resolved)


async def deploy_round(round_file: Path, *, work_pool: str = WORK_POOL) -> UUID:
    """Create or update ``hiring-round/<round id>``; a bad file raises before anything changes."""
    round_ = load_round(round_file)
    schedules = []
    if round_.schedule is not None:
        cron = CronSchedule(cron=round_.schedule.cron, timezone=round_.time_zone)
        schedules.append(DeploymentScheduleCreate(schedule=cron, active=round_.schedule.active))
    async with get_client() as client:
        flow_id = await client.create_flow_from_name("hiring-round")
        return await client.create_deployment(
            flow_id=flow_id,
            name=round_.id,
            description=f"{round_.name}: calls back every shortlisted candidate of {round_file.name}",
            entrypoint=ENTRYPOINT,
            work_pool_name=work_pool,
            work_queue_name="default",
            parameters={"request": {"round_file": project_path(round_file)}},
            parameter_openapi_schema=parameter_schema(hiring_round).model_dump_for_openapi(),
            enforce_parameter_schema=True,
            tags=["secondround", round_tag(round_.id)],
            pull_steps=[
                {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $SECONDROUND_PROJECT_DIR }}"}}
            ],
            schedules=schedules,
        )
