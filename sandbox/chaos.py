"""A machine lost again and again, for the kill tests and ``make bench-chaos``.

Machine ``n`` of a ``LocalStack`` is its worker and every flow process that worker started (each
carries ``SECONDROUND_MACHINE``, marked with its stack and ``n``, so that losing one stack's
machine never touches another stack running beside it). ``lose`` SIGKILLs them all at once, as
a power cut would: no process is left to tell the server anything. ``lose_machines`` does it at
random moments and brings each machine back a little later. The round it plays on is a mix of
scripted candidates (``sandbox.rounds.scripted``), each with the decision her script means;
``answer`` plays the replies she gives by her link, through the replicas of ``web/`` in turn.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import arun_deployment

from flows.models import Outcome
from flows.replies import candidate_runs
from flows.takeover import TAG as TAKEOVER_TAG
from sandbox import bucket, machines
from sandbox.harness import Harness
from sandbox.postgres import Postgres
from sandbox.rounds import Scripted, round_data, write_round
from sandbox.stack import LocalStack, Machines

MONITOR = "stuck-candidates/stuck-candidates"


@dataclass(frozen=True)
class Kill:
    machine: int
    at: datetime
    processes: int
    back: datetime


def lose(stack: LocalStack, n: int) -> int:
    """SIGKILL worker ``n`` and every flow process it started; how many processes died."""
    pids = machines.processes(stack.machine_mark(n))
    if n in stack.worker_procs:
        stack.kill_worker(n)
    machines.kill(pids)
    return len(pids)


async def lose_machines(
    stack: LocalStack, *, kills: int, rng: random.Random, gap: tuple[float, float], down: tuple[float, float]
) -> list[Kill]:
    """Lose a random machine ``kills`` times, ``gap`` seconds apart, each down for ``down`` seconds."""
    done = []
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(*gap))
        n, at = rng.randrange(stack.workers), datetime.now(timezone.utc)
        killed = lose(stack, n)
        await asyncio.sleep(rng.uniform(*down))
        stack.start_worker(n)
        done.append(Kill(machine=n + 1, at=at, processes=killed, back=datetime.now(timezone.utc)))
    return done


async def answer(harness: Harness, round_id: str, replies: dict[str, str], *, replicas: list[str]) -> None:
    """Each candidate with a scripted reply clicks her link once her run waits for it, through
    the replicas of ``web/`` in turn (the email's link names the first; the others share its inbox)."""

    async def one(cid: str, choice: str, replica: str) -> None:
        await harness.waiting(round_id, cid, patience=900)
        link = harness.links(round_id, cid)[0]
        path = link.split("/r/", 1)[1]
        async with httpx.AsyncClient(follow_redirects=True, timeout=30) as http:
            (await http.post(f"{replica}/r/{path}", data={"choice": choice})).raise_for_status()

    turns = itertools.cycle(replicas)
    await asyncio.gather(*(one(cid, choice, next(turns)) for cid, choice in replies.items()))


def takeover_delays(kills: list[Kill], takeovers: list[FlowRun]) -> list[float]:
    """Seconds from each takeover's kill (the latest before it) to the takeover run's creation."""
    delays = []
    for run in takeovers:
        before = [k.at for k in kills if run.created and k.at < run.created]
        if before and run.created:
            delays.append((run.created - max(before)).total_seconds())
    return sorted(delays)


def spread(values: list[float]) -> str:
    if not values:
        return "none"
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values):.0f} s, p95 {p95:.0f} s, max {values[-1]:.0f} s"


@contextmanager
def chaos_stack(home: Path, *, scale_out: bool, limit: int = 3) -> Iterator[Harness]:
    """A stack of its own with the takeover automation on: across two machines (PostgreSQL for
    Prefect and our state, the bucket, a disk each), or the embedded default (SQLite, one worker)."""
    behaviours = home / "behaviours.yaml"
    behaviours.write_text("{}\n")
    with ExitStack() as exits:
        options: dict[str, Any] = {"workers": 1, "worker_limit": 2 * limit}
        if scale_out:
            os.environ.update(bucket.CREDENTIALS)  # this process reads the runs' results too
            database = exits.enter_context(Postgres(home / "postgres"))
            machines = Machines(state_url=database.database("secondround"))
            options = {"workers": 2, "worker_limit": limit, "database_url": database.url, "machines": machines}
        local = exits.enter_context(
            LocalStack(home / "stack", time_scale=86400 / 8, behaviours=behaviours, takeover=True, **options)
        )
        exits.enter_context(local.client_settings())
        yield Harness(local, home / "rounds")


def write_scripted(harness: Harness, script: Scripted, folder: Path) -> Path:
    """The round file, its candidates scripted; 24 h last 8 s, her reply window 80 s."""
    data = round_data(script.round_id, script.candidates)
    data["cadence"]["reply_window"] = "P10D"  # 80 s here: her link's answer comes within it
    harness.round(data, script.calls)
    return write_round(folder, data)


@dataclass
class Report:
    outcomes: dict[str, Outcome | None]  # by her newest run that ended well
    kills: list[Kill]
    takeovers: list[FlowRun]
    duplicates: list[str]  # effect keys handed to a peer more than once
    alerts: list[str]  # recruiter emails about a stuck candidate (a person was needed)
    seconds: float


async def checks_every(seconds: float, round_id: str) -> None:
    """The stuck-candidates schedule (every 15 minutes, deployed paused in the stack), compressed
    with the round's time: a loss the automations cannot see (a resumed run killed before it ran,
    within its first submission's window) is found by it."""
    limits = {"timer_grace": "PT0S", "pending": "PT2M"}
    request = {"round_ids": [round_id], "take_over": True, "email_recruiter": True, "limits": limits}
    while True:
        await asyncio.sleep(seconds)
        await arun_deployment(MONITOR, parameters={"request": request}, timeout=0, as_subflow=False)


async def _settled(round_id: str, cids: list[str], *, patience: float) -> dict[str, FlowRun]:
    """Each candidate's newest run, once every one has completed (crashed ones are taken over)."""
    give_up = asyncio.get_running_loop().time() + patience
    while True:
        newest = {cid: (await candidate_runs(round_id, cid))[:1] for cid in cids}
        done = {cid: runs[0] for cid, runs in newest.items() if runs and runs[0].state and runs[0].state.is_completed()}
        if len(done) == len(cids):
            return done
        if asyncio.get_running_loop().time() > give_up:
            waiting = {cid: runs[0].state_name if runs else "no run" for cid, runs in newest.items() if cid not in done}
            raise TimeoutError(f"not settled after {patience:.0f} s: {waiting}")
        await asyncio.sleep(3)


async def play(
    harness: Harness, round_file: Path, script: Scripted, *, kills: int, rng: random.Random, replicas: list[str]
) -> Report:
    """Run the round while machines are lost, answer as scripted, and wait until everyone settled."""
    round_id = script.round_id
    started = asyncio.get_running_loop().time()
    parameters = {"request": {"round_file": str(round_file)}}
    run = await arun_deployment("hiring-round/example", parameters=parameters, timeout=600, as_subflow=False)
    assert run.state is not None and run.state.is_completed(), run.state
    # the first loss comes while her calls are going out, the later ones at any moment
    chaos = asyncio.create_task(lose_machines(harness.stack, kills=kills, rng=rng, gap=(4, 40), down=(5, 20)))
    schedule = asyncio.create_task(checks_every(60, round_id))
    try:
        await answer(harness, round_id, script.replies, replicas=replicas)
        lost = await chaos
        cids = [c["id"] for c in script.candidates]
        final = await _settled(round_id, cids, patience=900 + 60 * len(cids))
    finally:
        schedule.cancel()
    results = {cid: (await harness.result(r.id)).outcome for cid, r in final.items()}
    runs = [r for cid in cids for r in await candidate_runs(round_id, cid)]
    effects = [e for cid in cids for e in harness.effects(round_id, cid)]
    return Report(
        outcomes=dict(results),
        kills=lost,
        takeovers=[r for r in runs if TAKEOVER_TAG in r.tags],
        duplicates=[e.key for e in effects if e.tries > 1],
        alerts=[e.key for e in effects if ".stuck-" in e.key],
        seconds=asyncio.get_running_loop().time() - started,
    )
