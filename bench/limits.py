"""How many flow processes at once Prefect holds, on SQLite (the embedded default) or on
PostgreSQL: a round of ``--per-slot`` candidates per slot, for each worker limit, while
``/health`` is asked every 2 s.

Reported per limit: the wall time of the round, the slowest ``/health`` answer, how long the
server answered nothing (the longest run of probes that timed out), its event loop's stalls (the
server's watchdog, ``sandbox/prefect_server.py``), the write-lock errors it logged, and whether
every candidate's run ended as her script means. The README's safe limits come from here:
``--uncapped`` measures Prefect on SQLite as it is, to find what it holds
(``sandbox.stack.SQLITE_FLOW_RUNS``); without it the pool is capped there, as the embedded
default is, and a higher worker limit shows that the rest queue instead of failing.

    make bench-limits          # SQLite uncapped at 6, 12, 20, 30; capped at 30; PostgreSQL at 30
    python -m bench.limits --limits 30 --per-slot 3 --uncapped
    python -m bench.limits --limits 30 --database postgres
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.round import Lost, play_round, stack_for
from sandbox.stack import SQLITE_FLOW_RUNS


@dataclass
class Health:
    """``/health`` asked every ``every`` seconds from a thread of its own, until stopped."""

    url: str
    every: float = 2.0
    timeout: float = 10.0
    slowest: float = 0.0
    silent: float = 0.0  # the longest time nothing answered
    stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        silent_since: float | None = None
        while not self.stop.wait(self.every):
            asked = time.monotonic()
            try:
                httpx.get(self.url, timeout=self.timeout).raise_for_status()
            except httpx.HTTPError:
                silent_since = silent_since or asked
                self.silent = max(self.silent, time.monotonic() - silent_since)
                continue
            self.slowest, silent_since = max(self.slowest, time.monotonic() - asked), None


def measure(limit: int, *, per_slot: int, timeout: float, uncapped: bool, database: str, keep: str = "") -> str:
    args = argparse.Namespace(
        database=database, workers=1, limit=limit, reply_window=60.0, machines=False, timeout=timeout, uncapped=uncapped
    )
    with ExitStack() as exits:
        home = keep or exits.enter_context(tempfile.TemporaryDirectory())
        stack, db = stack_for(Path(home) / "round", args, exits)
        health = Health(f"{stack.api_url}/health")
        threading.Thread(target=health.watch, daemon=True).start()
        try:
            result = play_round(stack, db, Path(home), limit * per_slot, timeout=timeout)
            ok = result["outcomes as scripted"] and not result["handed over twice"]
            runs = ", ".join(f"{n} {state.lower()}" for state, n in sorted(result["states"].items()))
            ended = "yes" if ok else f"NO ({runs}; {result['handed over twice']} handed over twice)"
            wall = f"{result['seconds']:.0f} s"
        except Lost as lost:  # a run failed, or the round could not start every candidate
            ended, wall = f"NO ({lost})", "-"
        except TimeoutError as stuck:
            ended, wall = f"NO ({stuck})", f"> {timeout:.0f} s"
        health.stop.set()
        log = (stack.home / "server.log").read_text(errors="replace")
    stalls = log.count("event loop stalled")
    locked = log.count("database is locked")
    return (
        f"| {limit} | {limit * per_slot} | {wall} | {health.slowest:.1f} s | {health.silent:.0f} s "
        f"| {stalls} | {locked} | {ended} |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limits", default="6,12,20,30", help="worker limits to try, comma separated")
    parser.add_argument("--per-slot", type=int, default=3, help="candidates per flow-process slot")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--keep", default="", help="keep each limit's stack (logs, database) under this folder")
    parser.add_argument(
        "--uncapped", action="store_true", help="without the embedded default's cap on the pool (to find the limit)"
    )
    args = parser.parse_args()
    out = sys.stdout
    out.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    capped = args.database == "sqlite" and not args.uncapped
    out.write(f"Prefect on {args.database}, pool {f'capped at {SQLITE_FLOW_RUNS}' if capped else 'uncapped'}\n\n")
    out.write("| limit | candidates | wall | slowest /health | silent | loop stalls | locked | as scripted |\n")
    out.write("|---" * 8 + "|\n")
    for limit in (int(n) for n in args.limits.split(",")):
        keep = str(Path(args.keep).resolve() / f"limit-{limit}") if args.keep else ""
        settings = {"uncapped": args.uncapped, "database": args.database, "keep": keep}
        out.write(measure(limit, per_slot=args.per_slot, timeout=args.timeout, **settings))
        out.flush()


if __name__ == "__main__":
    main()
