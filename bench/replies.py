"""Reply-to-resumed-run latency on the embedded default (Prefect server on SQLite, one worker).

N candidates are called (nobody answers), emailed and left waiting (24 h stands for 20 min here,
so no deadline interferes). Then each answers in turn, by her page's link (GET the page, POST
"confirm", as a browser does) or by text (the sandbox Twilio posts the signed webhook). Timed
from her request to (a) the service's answer, (b) her run leaving its pause (Prefect has resumed
it), (c) her run completing confirmed (finalised holds, confirmation, invite, staff briefings).

    make bench-replies
    python -m bench.replies --candidates 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from prefect import get_client

from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data
from sandbox.stack import LocalStack

ROUND = "latency"
LINK = re.compile(r"(http://\S+/r/\S+)")


async def _answer(
    stack: LocalStack, harness: Harness, http: httpx.AsyncClient, cid: str, *, phone: str, via: str
) -> tuple[float, float, float]:
    run_id = await harness.waiting(ROUND, cid)
    began = time.perf_counter()
    if via == "link":
        email = next(e for e in harness.effects(ROUND, cid) if e.channel == "email" and e.attempt == 1)
        link = LINK.findall(email.body["body"])[0]
        (await http.get(link)).raise_for_status()
        (await http.post(link, data={"choice": "confirm"})).raise_for_status()
    else:
        answer = await http.post(f"{stack.twilio_url}/sandbox/inbound-sms", json={"from": phone, "body": "YES"})
        answer.raise_for_status()
    acked = time.perf_counter() - began
    resumed = None
    async with get_client() as client:
        while True:
            state = (await client.read_flow_run(run_id)).state
            if resumed is None and state is not None and not state.is_paused():
                resumed = time.perf_counter() - began
            if state is not None and state.is_final():
                return acked, resumed or 0.0, time.perf_counter() - began
            await asyncio.sleep(0.05)


def _row(name: str, values: list[float]) -> str:
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18]  # within the samples, never past the max
    return f"| {name} | {statistics.median(values):.2f} | {p95:.2f} | {max(values):.2f} |\n"


async def _measure(stack: LocalStack, harness: Harness, count: int) -> dict[str, list[tuple[float, float, float]]]:
    people = [candidate(f"c{i:02d}", day=7 + i % 10, sms=True) for i in range(count)]
    data = round_data(ROUND, people)
    # one-hour interviews, many a day: every candidate gets a slot and waits (the example's
    # six-hour day seats one a day)
    data["plan"] |= {"duration": "PT1H", "activities": [], "max_per_person_per_day": 8}
    round_ = harness.round(data, {p["id"]: ["no-answer"] for p in people})
    for c in round_.candidates:
        await harness.start(round_, c.id)
    found: dict[str, list[tuple[float, float, float]]] = {"link": [], "sms": []}
    async with httpx.AsyncClient(timeout=60, follow_redirects=True) as http:
        for i, c in enumerate(round_.candidates):
            via = "link" if i % 2 == 0 else "sms"
            found[via].append(await _answer(stack, harness, http, c.id, phone=c.phone, via=via))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        behaviours = Path(home) / "behaviours.yaml"
        behaviours.write_text("{}\n")
        stack = LocalStack(Path(home) / "stack", time_scale=86400 / 1200, behaviours=behaviours)
        with stack, stack.client_settings():
            harness = Harness(stack, Path(home))
            found = asyncio.run(_measure(stack, harness, args.candidates))
    out = sys.stdout
    out.write(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n")
    out.write("| from her request to | p50 (s) | p95 (s) | max (s) |\n|---|---|---|---|\n")
    for via, rows in found.items():
        for index, what in enumerate(("the service's answer", "her run resumed", "her run confirmed")):
            out.write(_row(f"{what} ({via}, n={len(rows)})", [r[index] for r in rows]))


if __name__ == "__main__":
    main()
