"""hiring-round: validate the round file, plan every shortlisted candidate's slot at once
(``flows/planning/planner.py``), then start one candidate-callback run per candidate with her slot.

Each run is created with an idempotency key per round and candidate, so running the round
again (on its schedule, or by hand) starts nobody twice and picks up candidates added since.
Waitlisted candidates wait for a released slot: each run carries the waitlist, and a release
offers the slot to the first waitlisted candidate free then (``flows/waitlist.py``).
Publishes the round's dashboard (``flows/ops/dashboard.py``) with a row per candidate not yet on it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from config.checks import round_warnings
from config.loading import load_round
from config.round import Candidate, RoundDetails
from flows.corrections import share_correction
from flows.deployments import start_callback
from flows.models import CallbackRequest, Slot, StartedRun
from flows.ops.dashboard import publish, read_rows
from flows.ops.rows import Row
from flows.planning.slots import plan_round, round_calendars, search_window
from tasks.calendars import calendar_refs, find_busy


async def plan_slots(round_: RoundDetails, candidates: list[Candidate]) -> dict[str, Slot]:
    """Seat everyone at once against the calendars as they are now; each run then holds its slot."""
    urls = calendar_refs(round_)
    busy = await find_busy({key: urls[key] for key in round_calendars(round_)}, *search_window(round_))
    slots = plan_round(round_, candidates, busy)
    get_run_logger().info("Planned %d of %d candidates", len(slots), len(candidates))
    return slots


class RoundRequest(BaseModel):
    round_file: str = Field(description="Path of the hiring-round YAML file, relative to the project folder")


@flow(name="hiring-round", persist_result=True)
async def hiring_round(request: RoundRequest) -> list[StartedRun]:
    logger = get_run_logger()
    round_ = load_round(request.round_file)  # a bad file fails here, before anyone is called
    for warning in round_warnings(round_, now=datetime.now(timezone.utc)):
        logger.warning("%s: %s", request.round_file, warning)
    details = round_.details
    shortlisted = [c for c in round_.candidates if c.waitlist_rank is None]
    waitlist = sorted((c for c in round_.candidates if c.waitlist_rank is not None), key=lambda c: c.waitlist_rank or 0)
    planned = await plan_slots(details, shortlisted)
    started: list[StartedRun] = []
    for candidate in shortlisted:
        callback = CallbackRequest(
            round=details, candidate=candidate, proposed=planned.get(candidate.id), waitlist=waitlist
        )
        run = await start_callback(callback)
        if await share_correction(run, candidate):
            logger.info("%s: corrected phone or email handed to her run %s", candidate.id, run.name)
        state = run.state.name if run.state else "unknown"
        slot = planned.get(candidate.id)
        started.append(
            StartedRun(
                candidate_id=candidate.id,
                flow_run_id=str(run.id),
                flow_run_name=run.name,
                state=state,
                planned=slot.start if slot else None,
            )
        )
    logger.info("Round %s: %d candidate runs, %d waitlisted", round_.id, len(started), len(waitlist))
    await _first_rows(details, shortlisted, planned)
    return started


async def _first_rows(details: RoundDetails, shortlisted: list[Candidate], planned: dict[str, Slot]) -> None:
    """A "started" row on the round's table for each candidate her own run has not written yet."""
    known = {row.candidate_id for row in await read_rows(details.id)}  # rows her own run keeps up to date
    fresh = [
        Row(
            candidate_id=c.id,
            name=c.name,
            state="started",
            next_action="hold her slot, then call",
            slot=planned.get(c.id),
        )
        for c in shortlisted
        if c.id not in known
    ]
    await publish(details, *fresh)
