"""Chaos at size: a round of scripted candidates while a machine is lost at random moments (its
worker and every flow process it started, SIGKILL) and brought back, with no human action.

Reported per configuration: kills, processes killed, takeovers (fresh runs started by the
automation), seconds from a kill to the takeover it caused (p50, p95, max), effects handed to a
peer twice (must be 0), recruiter alerts (a person needed: must be 0), candidates whose decision
is not what her script means (must be 0), and the wall time.

    make bench-chaos                                   # 24 candidates, 6 kills, both configurations
    python -m bench.chaos --candidates 48 --kills 10 --config scaled
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sys
import tempfile
from pathlib import Path

from sandbox.chaos import chaos_stack, play, spread, takeover_delays, write_scripted
from sandbox.rounds import scripted

HEADER = "| config | candidates | kills | processes killed | takeovers | kill to takeover | twice | alerts | wrong "
HEADER += "| wall |\n"
HEADER += "|---" * 10 + "|\n"


def measure(config: str, *, candidates: int, kills: int, seed: int) -> str:
    with tempfile.TemporaryDirectory() as home, chaos_stack(Path(home), scale_out=config == "scaled") as harness:
        script = scripted(f"chaos-{config}", candidates)
        path = write_scripted(harness, script, Path(home))
        replicas = [harness.stack.web_url]
        if config == "scaled":
            replicas.append(harness.stack.start_web_replica())
        report = asyncio.run(play(harness, path, script, kills=kills, rng=random.Random(seed), replicas=replicas))
    wrong = sum(report.outcomes.get(cid) is not outcome for cid, outcome in script.expected.items())
    delays = spread(takeover_delays(report.kills, report.takeovers))
    killed = sum(k.processes for k in report.kills)
    return (
        f"| {config} | {candidates} | {len(report.kills)} | {killed} | {len(report.takeovers)} | {delays} "
        f"| {len(report.duplicates)} | {len(report.alerts)} | {wrong} | {report.seconds:.0f} s |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=24)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--config", choices=("scaled", "embedded", "both"), default="both")
    args = parser.parse_args()
    out = sys.stdout
    out.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    out.write(HEADER)
    for config in ("scaled", "embedded") if args.config == "both" else (args.config,):
        out.write(measure(config, candidates=args.candidates, kills=args.kills, seed=args.seed))
        out.flush()


if __name__ == "__main__":
    main()
