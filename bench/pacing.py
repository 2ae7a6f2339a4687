"""Outbound-call pacing: N calls from M concurrent processes against the sandbox Twilio.

Each process stands for a candidate run and places its calls with ``tasks.phone.place_call``
(the real twilio client, the shared ``CallPacer`` and the 429 back-off). The sandbox answers 429
above the configured calls per second. Reported: the achieved rate of accepted creates (first to
last) divided by CPS, how many 429s the sandbox returned (it polices CPS with a jitter tolerance
of a tenth of the interval), and the smallest gap between two accepted creates. ``--unpaced``
turns the pacer off to show what the back-off alone does.

    make bench-pacing            # CPS 1 and 5, paced and unpaced
    python -m bench.pacing --cps 5 --calls 60 --runs 8
    python -m bench.pacing --machines  # each process with its own state folder, paced by PostgreSQL
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import platform
import sys
import tempfile
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from config.errors import TransientChannelError
from config.settings import Settings
from sandbox.peers import PROJECT_DIR, SANDBOX_ACCOUNT, SANDBOX_FROM, SANDBOX_TOKEN, free_port
from sandbox.postgres import Postgres
from sandbox.serving import http_ok, python_server
from tasks.clients.twilio import twilio_client
from tasks.effects import EffectKey
from tasks.phone import place_call

NOWHERE = "http://127.0.0.1:9/twilio/keypad"
HEADER = "| CPS | calls | runs | pacer | achieved/s | ratio | 429s | min gap (s) |\n" + "|---" * 8 + "|\n"


def _settings(state: Path, url: str, cps: float, state_url: str) -> Settings:
    return Settings(
        state_dir=state,
        state_url=state_url,
        twilio_api_base_url=url,
        twilio_account_sid=SANDBOX_ACCOUNT,
        twilio_auth_token=SecretStr(SANDBOX_TOKEN),
        twilio_from_number=SANDBOX_FROM,
        twilio_calls_per_second=cps,
        public_base_url="http://127.0.0.1:9",  # callbacks go nowhere: only creation is measured
    )


def _run(index: int, calls: int, job: tuple[str, str, float, bool, str]) -> None:
    state, url, cps, paced, state_url = job
    # across machines each process has a disk of its own: only the database can pace them
    folder = Path(state) / f"machine-{index}" if state_url else Path(state)
    settings = _settings(folder, url, cps, state_url)
    if not paced:  # the pacer of a huge rate never waits: only the 429 back-off is left
        settings = settings.model_copy(update={"twilio_calls_per_second": 1e9})

    async def place_all() -> None:
        async with twilio_client(settings) as client:
            for n in range(calls):
                key = EffectKey(round_id="bench", candidate_id=f"r{index}", attempt=n + 1, step="call")
                to = f"+1415555{index:02d}{n:02d}"
                since = datetime.now(timezone.utc)
                while True:
                    try:
                        await place_call(client, settings, key, to=to, since=since, keypad=NOWHERE, script="Hi")
                        break
                    except TransientChannelError:  # back-off exhausted (unpaced): the task would retry
                        await asyncio.sleep(1)

    asyncio.run(place_all())


def measure(*, cps: float, calls: int, runs: int, paced: bool, state_url: str = "") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as state:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR), "SECONDROUND_STATE_DIR": state}
        env |= {"SECONDROUND_TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT, "SECONDROUND_TWILIO_AUTH_TOKEN": SANDBOX_TOKEN}
        server = ["-m", "sandbox.twilio_api", "--port", str(port), "--cps", str(cps)]
        with python_server(server, env=env, probe=http_ok(f"{url}/sandbox/requests"), what="sandbox Twilio"):
            per_run = [calls // runs + (1 if i < calls % runs else 0) for i in range(runs)]
            ctx = multiprocessing.get_context("spawn")
            procs = [
                ctx.Process(target=_run, args=(i, n, (state, url, cps, paced, state_url)))
                for i, n in enumerate(per_run)
            ]
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join()
            requests = httpx.get(f"{url}/sandbox/requests").json()
    creates = [r for r in requests if r.get("method") == "POST" and r["path"].endswith("/Calls.json")]
    return _rates(creates, cps=cps)


def _rates(creates: list[dict[str, Any]], *, cps: float) -> dict[str, float]:
    accepted = sorted(r["at"] for r in creates if r["status"] == 201)
    span = accepted[-1] - accepted[0]
    rate = (len(accepted) - 1) / span if span > 0 else float("inf")
    return {
        "accepted": len(accepted),
        "rate": rate,
        "ratio": rate / cps,
        "429s": sum(r["status"] == 429 for r in creates),
        "min_gap": min((b - a for a, b in itertools.pairwise(accepted)), default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Outbound-call pacing against the sandbox Twilio")
    parser.add_argument("--cps", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--seconds", type=float, default=30, help="calls = CPS x seconds")
    parser.add_argument("--runs", type=int, default=8, help="concurrent processes (candidate runs)")
    parser.add_argument("--unpaced", action="store_true", help="also measure without the pacer")
    parser.add_argument("--machines", action="store_true", help="each process a machine: paced through PostgreSQL")
    args = parser.parse_args()
    with ExitStack() as exits:
        state_url = ""
        if args.machines:
            state_url = exits.enter_context(Postgres(Path(tempfile.mkdtemp()) / "pg")).database("pacing")
        _table(args, state_url)


def _table(args: argparse.Namespace, state_url: str) -> None:
    sys.stdout.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    sys.stdout.write(HEADER)
    for cps in args.cps:
        for paced in (True, False) if args.unpaced else (True,):
            calls = int(cps * args.seconds) + 1
            row = measure(cps=cps, calls=calls, runs=args.runs, paced=paced, state_url=state_url)
            pacer = ("shared (PostgreSQL)" if state_url else "on") if paced else "off"
            sys.stdout.write(
                f"| {cps:g} | {calls} | {args.runs} | {pacer} | {row['rate']:.3f} | "
                f"{row['ratio']:.3f} | {row['429s']:.0f} | {row['min_gap']:.3f} |\n"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
