"""A whole round of N sandbox candidates in compressed time, then bare Prefect doing the same
number of runs, subflow runs and tasks on the same kind of stack; the ratio is our cost.

The round: one panel and one room over 22 days of half-hour interviews (room for 1,056), each
candidate free on one day; 24 h of waiting stands for ``--reply-window`` seconds. Candidates,
by number: 70 % answer and press 1, 10 % answer and press 2, 15 % miss the call (voicemail)
and confirm by the link in their email, 5 % never answer (two attempts, two deadlines, then
released). Timed from the hiring-round run's start to the last candidate's decision; then every
outcome and the once-only ledger are checked. Counts come from Prefect's database.

    make bench-round CANDIDATES=50                     # SQLite, then PostgreSQL with two workers
    python -m bench.round --candidates 1000 --database sqlite
    python -m bench.round --candidates 1000 --database postgres --workers 2 --limit 3
    python -m bench.round --bare-only 71,206,1167       # bare Prefect alone, for given counts

A candidate costs about 14 CPU-seconds (docs/benchmarks.md): 1,000 take hours on two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml
from prefect.deployments import arun_deployment

from bench import bare
from bench.prefect_db import FINAL, Database
from config.loading import load_round
from sandbox import bucket
from sandbox.candidates import ScriptedRepliers
from sandbox.ledger import Ledger
from sandbox.postgres import Postgres
from sandbox.rounds import awake_zone, call_times, interview_day, round_data, write_round
from sandbox.stack import LocalStack, Machines

ROUND = "bench-round"
DAYS = 22
AREAS = (212, 415, 646, 202, 312, 617, 213, 305, 404, 503, 206, 303, 512, 718, 917, 702)
MIX = ["answer-confirm"] * 14 + ["answer-decline"] * 2 + ["voicemail"] * 3 + ["no-answer"]
EXPECTED = {"answer-confirm": "confirmed", "answer-decline": "declined", "voicemail": "confirmed"}


def round_file(folder: Path, count: int) -> tuple[Path, dict[str, Any]]:
    """The round and each candidate's script, by phone number."""
    people, scripts = [], {}
    for n in range(count):
        day = interview_day(7) + (interview_day(8) - interview_day(7)) * (n % DAYS)
        behaviour = MIX[n % len(MIX)]
        phone = f"+1{AREAS[n // 100]}5550{100 + n % 100:03d}"
        people.append(
            {
                "id": f"c{n:04d}",
                "name": f"Candidate {n:04d}",
                "phone": phone,
                "email": f"c{n:04d}@mail.example",
                "time_zone": awake_zone(),
                "call_times": call_times(),
                "interview_times": [{"start": f"{day}T00:00+00:00", "end": f"{day}T23:59+00:00"}],
                "consent": {"automated_voice": True, "sms": False},
            }
        )
        script: dict[str, Any] = {"calls": [behaviour]}
        if behaviour == "voicemail":
            script["reply"] = {"after_attempt": 1, "outcome": "confirm", "via": "link", "delay": "PT2S"}
        scripts[phone] = script
    data = round_data(ROUND, people)
    data["plan"] |= {"duration": "PT30M", "buffer": "PT0M", "activities": [], "max_per_person_per_day": 48}
    # a throughput benchmark: every hour of every day is open, as when its figures were first taken
    data["plan"]["hours"] = {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "00:00",
        "end": "23:59",
    }
    data["plan"]["dates"] = {"start": str(interview_day(7)), "end": str(interview_day(7 + DAYS))}
    data["rooms"] = data["rooms"][:1]
    return write_round(folder, data), scripts


def machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy (every process: server, peers, runs)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return sum(int(f) for f in fields[:3] + fields[5:8]) / os.sysconf("SC_CLK_TCK")


class Lost(RuntimeError):
    """The round ended with fewer decided runs than candidates: some were never started or failed."""


def wait_until(db: Database, flow_name: str, count: int, *, tick: Any = None, timeout: float, parent: str = "") -> None:
    """Until ``count`` runs of ``flow_name`` are final; ``Lost`` as soon as the ``parent`` run
    that starts them has ended and every run it started has too, short of ``count``."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if tick is not None:
            tick()
        states = db.states(flow_name)
        final = sum(states[s] for s in FINAL)
        if final >= count:
            return
        if parent and sum(db.states(parent)[s] for s in FINAL) and final == sum(states.values()):
            raise Lost(f"{flow_name}: {dict(states)} of {count}; {parent}: {dict(db.states(parent))}")
        time.sleep(2)
    raise TimeoutError(f"{flow_name}: {dict(db.states(flow_name))} after {timeout:.0f} s")


def play_round(stack: LocalStack, db: Database, folder: Path, count: int, *, timeout: float) -> dict[str, Any]:
    path, scripts = round_file(folder, count)
    Path(stack.env["SECONDROUND_SANDBOX_BEHAVIOURS"]).write_text(yaml.safe_dump(scripts))
    ledger = Ledger(Path(stack.env["SECONDROUND_STATE_DIR"]) / "sandbox")
    round_ = load_round(path)
    behaviours = Path(stack.env["SECONDROUND_SANDBOX_BEHAVIOURS"])
    repliers = ScriptedRepliers(
        round_, ledger, scripts_path=behaviours, web_url=stack.web_url, twilio_url=stack.twilio_url
    )
    loop = asyncio.new_event_loop()
    parameters = {"request": {"round_file": str(path)}}
    began, cpu = time.monotonic(), machine_cpu()
    loop.run_until_complete(arun_deployment("hiring-round/example", parameters=parameters, timeout=0))
    ticking = lambda: loop.run_until_complete(_tick(repliers))  # noqa: E731
    wait_until(db, "candidate-callback", count, tick=ticking, timeout=timeout, parent="hiring-round")
    seconds, cpu = time.monotonic() - began, machine_cpu() - cpu
    loop.run_until_complete(_drain(repliers))
    loop.close()
    effects = ledger.effects(round_id=ROUND)
    steps = Counter(e.key.split(".")[-1] for e in effects)
    confirmed = sum(1 for n in range(count) if EXPECTED.get(MIX[n % len(MIX)]) == "confirmed")
    scripted = steps["confirmation"] == confirmed and steps["release-notice"] == count - confirmed
    return {
        "seconds": round(seconds, 1),
        "cpu seconds": round(cpu, 1),
        "states": dict(db.states("candidate-callback")),
        "effects": len(effects),
        "handed over twice": sum(1 for e in effects if e.tries > 1),
        "by channel": dict(Counter(e.channel for e in effects)),
        "outcomes as scripted": scripted,
        "by step": dict(steps),
        **db.totals(),
    }


async def _tick(repliers: ScriptedRepliers) -> None:
    await repliers.tick()
    await asyncio.sleep(0)


async def _drain(repliers: ScriptedRepliers) -> None:
    for delivery in repliers.deliveries:
        await asyncio.wait_for(asyncio.shield(delivery), 60) if not delivery.done() else None


def shares(totals: dict[str, int]) -> list[tuple[int, int]]:
    """The round's subflow runs and task runs spread over as many runs as it started processes
    (less the hiring-round run, which bare-round stands for)."""
    processes = totals["processes"] - 1
    # Prefect records a task run in the parent for each subflow run: those come with the subflows
    subflows, tasks = divmod(totals["subflows"], processes), divmod(totals["tasks"] - totals["subflows"], processes)
    return [(subflows[0] + (n < subflows[1]), tasks[0] + (n < tasks[1])) for n in range(processes)]


def play_bare(db: Database, totals: dict[str, int], *, timeout: float) -> dict[str, Any]:
    plan = shares(totals)
    asyncio.run(bare.deploy())
    began, cpu = time.monotonic(), machine_cpu()
    asyncio.run(bare.start(plan))
    wait_until(db, "bare-candidate", len(plan), timeout=timeout)
    seconds, cpu = time.monotonic() - began, machine_cpu() - cpu
    states = dict(db.states("bare-candidate"))
    return {"seconds": round(seconds, 1), "cpu seconds": round(cpu, 1), "states": states, **db.totals()}


def stack_for(home: Path, args: argparse.Namespace, exits: ExitStack) -> Any:
    database, workers, limit, window = args.database, args.workers, args.limit, args.reply_window
    home.mkdir(parents=True)
    behaviours = home / "behaviours.yaml"
    behaviours.write_text("{}\n")
    postgres = exits.enter_context(Postgres(home / "postgres")) if database == "postgres" else None
    machines = None
    if args.machines:  # each worker a machine: our state in PostgreSQL, results in the bucket, no shared disk
        assert postgres is not None, "--machines needs --database postgres"
        os.environ.update(bucket.CREDENTIALS)  # this process reads the runs' results too
        machines = Machines(state_url=postgres.database(f"secondround_{home.name}"))
    stack = LocalStack(
        home / "stack",
        time_scale=86400 / window,
        behaviours=behaviours,
        database_url=postgres.url if postgres else None,
        workers=workers,
        worker_limit=limit,
        machines=machines,
        capped=not getattr(args, "uncapped", False),
    )
    exits.enter_context(stack)
    exits.enter_context(stack.client_settings())
    db = Database(sqlite_path=None if postgres else home / "stack" / "prefect" / "prefect.db", postgres=postgres)
    return stack, db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--limit", type=int, default=6, help="flow processes per worker")
    parser.add_argument("--reply-window", type=float, default=60.0, help="seconds that stand for 24 h")
    parser.add_argument("--timeout", type=float, default=4 * 3600)
    parser.add_argument("--machines", action="store_true", help="workers share no disk: state URL and bucket")
    parser.add_argument("--bare-only", metavar="PROCESSES,SUBFLOWS,TASKS", help="measure bare Prefect alone")
    args = parser.parse_args()
    out = sys.stdout
    out.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    size = f"bare only: {args.bare_only}" if args.bare_only else f"{args.candidates} candidates"
    across = ", separate machines (state in PostgreSQL, results in a bucket)" if args.machines else ""
    out.write(f"config: {args.database}, {args.workers} worker(s) x {args.limit}{across}, {size}\n")
    if args.bare_only:
        processes, subflows, tasks = (int(n) for n in args.bare_only.split(","))
        with tempfile.TemporaryDirectory() as home, ExitStack() as exits:
            stack, db = stack_for(Path(home) / "bare", args, exits)
            counts = {"processes": processes, "subflows": subflows, "tasks": tasks}
            out.write(f"bare prefect: {play_bare(db, counts, timeout=args.timeout)}\n")
        return
    with tempfile.TemporaryDirectory() as home, ExitStack() as exits:
        stack, db = stack_for(Path(home) / "round", args, exits)
        ours = play_round(stack, db, Path(home), args.candidates, timeout=args.timeout)
        out.write(f"secondround: {ours}\n")
        out.flush()
        exits.close()
        stack, db = stack_for(Path(home) / "bare", args, exits)
        theirs = play_bare(db, ours, timeout=args.timeout)
        out.write(f"bare prefect: {theirs}\n")
    out.write(f"ratio (wall): {ours['seconds'] / theirs['seconds']:.2f}\n")
    out.write(f"ratio (cpu): {ours['cpu seconds'] / theirs['cpu seconds']:.2f}\n")


if __name__ == "__main__":
    main()
