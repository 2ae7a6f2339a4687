"""retention: erase every candidate whose round's last interview day is long past.

Scheduled daily (``prefect.yaml``). For each round with a table, once ``days`` (default 180)
have passed since the last day of its interview plan, each candidate on it whose runs have all
ended is erased from every store (``flows/ops/erasure.py``), and the recruiter gets one email per
round saying whom (by id: the names are what was erased) and what was done. ``dry_run`` lists
who would be erased and erases nothing. Event: ``secondround.candidate.erased`` for each.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from prefect import flow, get_run_logger

from config.round import RoundDetails
from flows.messages.context import AlertContext
from flows.messages.render import render_email
from flows.models import CallbackRequest
from flows.ops.dashboard import boards, read_rows
from flows.ops.erasure import RetentionRequest, RetentionResult, StillDeciding, erase
from flows.replies import candidate_runs
from tasks.effects import EffectKey
from tasks.mail import send_email


async def _due(round_id: str, candidate_id: str, *, today: date, days: int) -> RoundDetails | None:
    """Her round's details when her runs have all ended and its last interview day is ``days`` past."""
    runs = await candidate_runs(round_id, candidate_id)
    if not runs or any(r.state is None or not r.state.is_final() for r in runs):
        return None
    round_ = CallbackRequest.model_validate(runs[0].parameters["request"]).round
    return round_ if round_.plan.dates.end + timedelta(days=days) < today else None


@flow(name="retention")
async def retention(request: RetentionRequest) -> RetentionResult:
    log, today = get_run_logger(), request.as_of or datetime.now(timezone.utc).date()
    result = RetentionResult()
    for board in await boards():
        done: list[str] = []
        for row in await read_rows(board.round.id):
            round_ = await _due(board.round.id, row.candidate_id, today=today, days=request.days)
            if round_ is None or request.dry_run:
                done += [row.candidate_id] if round_ is not None else []
                continue
            try:
                report = await erase(board.round.id, row.candidate_id)
            except StillDeciding as error:
                log.warning("not erased: %s", error)
                continue
            done.append(row.candidate_id)
            await _tell_recruiter(round_, row.candidate_id, [f"{line.store}: {line.done}" for line in report])
        if done:
            result.erased[board.round.id] = done
            log.info("%s: %s %s", board.round.id, "would erase" if request.dry_run else "erased", ", ".join(done))
    return result


async def _tell_recruiter(round_: RoundDetails, candidate_id: str, lines: list[str]) -> None:
    """The recruiter hears what was erased, by id (her name is what was erased): once per candidate."""
    recruiter = round_.organisation.recruiter
    ctx = AlertContext(
        name=f"candidate {candidate_id}",
        headline=f"personal data erased ({round_.name})",
        detail=f"Her interview plan ended on {round_.plan.dates.end:%d %B %Y}. Erased:\n" + "\n".join(lines),
        organisation=round_.organisation.name,
        recruiter=recruiter.name,
    )
    message = render_email("recruiter_alert", ctx, to=recruiter.email, to_name=recruiter.name)
    key = EffectKey(round_id=round_.id, candidate_id=candidate_id, attempt=0, step="erased")
    await send_email(key, message, to_candidate=False)
