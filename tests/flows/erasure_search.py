"""Erase candidates of a played round through the ``secondround`` command, then look for them
in every store: the state folder and Prefect's results (every file, byte for byte), Prefect's
API (runs, artifacts, variables) and the calendars (her bookings, read back)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect import get_client

from config.round import Candidate
from flows.ops.erasure import RetentionRequest
from flows.planning.slots import search_window
from flows.replies import candidate_runs
from flows.retention import retention
from sandbox.harness import Harness
from sandbox.peers import PROJECT_DIR
from tasks.clients.caldav import caldav


def erase_command(harness: Harness, round_id: str, candidate_id: str) -> list[str]:
    """What an operator types, with the stack's settings: its report."""
    done = subprocess.run(
        [sys.executable, "-m", "flows.ops.cli", "candidate", "erase", round_id, candidate_id],
        cwd=PROJECT_DIR,
        env=harness.stack.env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()


def _needles(candidate: Candidate) -> list[str]:
    return [candidate.name, candidate.email, candidate.phone]


def files_mentioning(folders: list[Path], people: dict[str, Candidate]) -> list[str]:
    needles = [n.encode() for c in people.values() for n in _needles(c)]
    return [str(p) for f in folders for p in f.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]


async def _prefect_mentions(people: dict[str, Candidate]) -> list[str]:
    needles = [n for c in people.values() for n in _needles(c)]
    async with get_client() as client:
        artifacts = await client.read_artifacts(limit=200)
        variables = await client.read_variables(limit=200)
    texts = [f"artifact {a.key}: {a.data}" for a in artifacts] + [f"variable {v.name}: {v.value}" for v in variables]
    return [text[:200] for text in texts if any(n in text for n in needles)]


async def _bookings(harness: Harness, round_id: str, candidate_id: str) -> list[str]:
    round_, settings = harness.rounds[round_id], harness.stack.read_settings()
    base = settings.caldav_url.rstrip("/")
    urls = [f"{base}/staff-{s.id}/" for s in round_.staff] + [f"{base}/room-{r.id}/" for r in round_.rooms]
    summaries = []
    async with caldav(settings) as dav:
        for url in urls:
            for uid, _ in await dav.events(url, *search_window(round_)):
                found = await dav.get_event(url, uid) if uid.startswith(f"{round_id}.{candidate_id}.") else None
                summaries += [str(found[0].walk("VEVENT")[0]["summary"])] if found else []
    return summaries


async def erase_and_search(harness: Harness, round_id: str, people: dict[str, Candidate]) -> dict[str, Any]:
    reports = {cid: await asyncio.to_thread(erase_command, harness, round_id, cid) for cid in people}
    first = next(iter(people))
    again = await asyncio.to_thread(erase_command, harness, round_id, first)  # safe to run twice
    state = Path(harness.stack.env["SECONDROUND_STATE_DIR"])
    results = Path(harness.stack.env["PREFECT_HOME"]) / "storage"  # where the worker's runs keep results
    end = harness.rounds[round_id].plan.dates.end
    due = await retention(RetentionRequest(dry_run=True, as_of=end + timedelta(days=181)))
    return {
        "retention": (due.erased.get(round_id, []), (await retention(RetentionRequest(dry_run=True))).erased),
        "reports": reports,
        "again": again,
        "files": files_mentioning([state, results], people),
        "prefect": await _prefect_mentions(people),
        "runs": [r.id for cid in people for r in await candidate_runs(round_id, cid)],
        "bookings": await _bookings(harness, round_id, first),
    }
