"""The scale-out configuration across machines: the Prefect server on PostgreSQL, our shared
state in PostgreSQL (``SECONDROUND_STATE_URL``), Prefect's results in an S3-compatible bucket,
and two workers that each have a disk of their own (state folder and local results), so nothing
can be shared through the disk by accident. A stack of its own (the session's stays on SQLite)."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from prefect.deployments import arun_deployment

from flows.models import CallbackResult, Outcome
from flows.ops.status import callback_runs
from sandbox import bucket
from sandbox.harness import Harness
from sandbox.postgres import Postgres
from sandbox.rounds import candidate, round_data, write_round
from sandbox.stack import LocalStack, Machines
from tests.flows.conftest import REPLY_WINDOW_SECONDS
from tests.flows.erasure_search import erase_command

pytestmark = pytest.mark.stack
CALLS = {
    "pat": ["answer-confirm"],
    "quin": ["answer-decline"],
    "rob": ["answer-confirm"],
    "ros": ["busy", "busy"],  # silence: resumed by her timer, maybe on the other machine
    "una": ["voicemail"],  # confirms by her link: resumed by the reply, maybe on the other machine
}


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Harness, str]]:
    home = tmp_path_factory.mktemp("scaled")
    behaviours = home / "behaviours.yaml"
    behaviours.write_text("{}\n")
    with pytest.MonkeyPatch.context() as patch, Postgres(home / "postgres") as database:
        for name, value in bucket.CREDENTIALS.items():  # this process reads the runs' results too
            patch.setenv(name, value)
        state_url = database.database("secondround")
        with (
            LocalStack(
                home / "stack",
                time_scale=86400 / REPLY_WINDOW_SECONDS,
                behaviours=behaviours,
                database_url=database.url,
                workers=2,
                worker_limit=2,  # neither worker can take the whole round
                machines=Machines(state_url=state_url),
            ) as stack,
            stack.client_settings(),
        ):
            yield stack, Harness(stack, home / "rounds"), state_url


async def _worker_names(run_ids: list[object]) -> set[str]:
    async with get_client() as client:
        logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=run_ids)))
    return {m.group(1) for log in logs if (m := re.match(r"Worker '([^']+)' submitting", log.message))}


def test_a_round_runs_across_two_machines(scaled: tuple[LocalStack, Harness, str], tmp_path: Path) -> None:
    stack, harness, state_url = scaled
    days = dict(zip(CALLS, (7, 8, 9, 10, 11), strict=True))
    data = round_data("scaled", [candidate(cid, day=days[cid]) for cid in CALLS])
    data["cadence"]["attempts"] = 1
    harness.round(data, CALLS)
    path = write_round(tmp_path, data)

    async def play() -> tuple[list[CallbackResult], set[str]]:
        parameters = {"request": {"round_file": str(path)}}
        round_run = await arun_deployment("hiring-round/example", parameters=parameters, timeout=300, as_subflow=False)
        assert round_run.state is not None and round_run.state.is_completed(), round_run.state
        await harness.waiting("scaled", "una")
        confirm = harness.links("scaled", "una")[0]  # she clicks; web/ stores it in the shared inbox
        async with httpx.AsyncClient(follow_redirects=True) as http:
            (await http.post(confirm, data={"choice": "confirm"})).raise_for_status()
        runs = await callback_runs("scaled")
        await harness.wait([r.id for r in runs], timeout=300)
        return [await harness.result(r.id) for r in runs], await _worker_names([round_run.id, *(r.id for r in runs)])

    results, workers = asyncio.run(play())
    assert {r.candidate_id: r.outcome for r in results} == {
        "pat": Outcome.confirmed,
        "quin": Outcome.declined,
        "rob": Outcome.confirmed,
        "ros": Outcome.released,
        "una": Outcome.confirmed,
    }
    assert len(workers) == 2, workers  # both machines ran some of the round
    effects = [e for cid in CALLS for e in harness.effects("scaled", cid)]
    assert effects and all(e.tries == 1 for e in effects), [(e.key, e.tries) for e in effects if e.tries > 1]
    _nothing_went_through_a_disk(stack, state_url)


def _nothing_went_through_a_disk(stack: LocalStack, state_url: str) -> None:
    """Results are in the bucket, our state in the database, and neither machine's disk has any."""
    assert bucket.keys(stack.bucket_url), "no result reached the bucket"
    for n in range(stack.workers):
        disk = Path(stack.machine_env(n)["SECONDROUND_STATE_DIR"]).parent
        stored = [p.relative_to(disk) for p in disk.rglob("*") if p.is_file()]
        assert stored == [], stored

    async def read() -> tuple[int, int, int]:
        db = await asyncpg.connect(state_url)
        try:
            return (
                await db.fetchval("select count(*) from claims where round_id = 'scaled'"),
                await db.fetchval("select count(*) from mail_accepted"),
                await db.fetchval("select count(*) from replies where round_id = 'scaled' and state = 'delivered'"),
            )
        finally:
            await db.close()

    claims, mails, replies = asyncio.run(read())
    assert (claims, replies) == (len(CALLS), 1) and mails > 0
    assert "postgresql+asyncpg" in stack.env["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert os.environ["AWS_ACCESS_KEY_ID"] == bucket.CREDENTIALS["AWS_ACCESS_KEY_ID"]


def test_erasing_her_reaches_the_shared_results_bucket(scaled: tuple[LocalStack, Harness, str]) -> None:
    """After the round above: her results leave the bucket (named by her keys or mentioning her);
    everyone else's stay."""
    stack, harness, _ = scaled
    pat = harness.rounds["scaled"].candidate("pat")
    needles = [value.encode() for value in (pat.name, pat.email, pat.phone)]

    def hers() -> list[str]:
        return [
            key
            for key in bucket.keys(stack.bucket_url)
            if "scaled.pat." in key or any(n in bucket.read(stack.bucket_url, key) for n in needles)
        ]

    before, others = hers(), len(bucket.keys(stack.bucket_url))
    assert before, "none of her results reached the bucket"
    report = erase_command(harness, "scaled", "pat")
    [line] = [line for line in report if "results bucket:" in line]
    assert f"{len(before)} result object(s) deleted" in line, (line, before)
    assert hers() == [] and len(bucket.keys(stack.bucket_url)) == others - len(before)
    assert "0 result object(s) deleted" in "\n".join(erase_command(harness, "scaled", "pat"))  # safe twice
