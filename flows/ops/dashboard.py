"""The round's dashboard: one row per candidate, republished on every transition of her run.

Each run keeps its own row in a Prefect variable (tagged with the round), then rebuilds the
round's table artifact ``round-<id>`` (candidate, state, attempt, last contact, next action,
slot, room, an answer that came after she was decided) and the response analytics
``round-<id>-responses`` (time to reply; shares confirmed on the first attempt, after a
voicemail, after a retry, and released) from every row. Two transitions at the same moment may
publish in either order; the next one sets it right.

The artifacts are updated in place (one version each, not one per transition), and a round of
more than ``SMALL`` candidates is rebuilt at most every ``PERIOD``: rebuilding reads every row,
so doing it on each of a 1,000-candidate round's transitions made the round quadratic. The
stuck-candidates monitor rebuilds any round whose rows changed since (``refresh_all``), so the
last transitions show up too. A late answer (``note_late``, from ``web/``) is a variable of its
own beside her row, so that her run's next publication cannot overwrite it. Rows and analytics
are pure (``flows.ops.rows``); publishing is the I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from prefect import get_client
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import ArtifactUpdate, VariableCreate, VariableUpdate
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from prefect.exceptions import ObjectAlreadyExists, PrefectHTTPStatusError
from pydantic import BaseModel

from config.round import RoundDetails
from flows.deployments import round_tag
from flows.ops.rows import LateAnswer, Row, responses, table

ROW_TAG = "secondround-row"
LATE_TAG = "secondround-late"
BOARD_TAG = "secondround-dashboard"
SMALL = 50
PERIOD = timedelta(seconds=15)


class RoundRef(BaseModel):
    """What the dashboard needs of a round (a variable holds at most 5,000 characters)."""

    id: str
    name: str
    time_zone: str


def _variable(round_id: str, candidate_id: str, *, kind: str = "row") -> str:
    return f"secondround-{kind}-{round_id}--{candidate_id}"


async def _read_variables(tags: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async with get_client() as client:
        while True:
            response = await client._client.post(
                "/variables/filter", json={"variables": {"tags": {"all_": tags}}, "limit": 200, "offset": len(found)}
            )
            response.raise_for_status()
            page = response.json()
            found += page
            if len(page) < 200:
                return found


def her_variables(round_id: str, candidate_id: str) -> list[str]:
    """The variables that hold her row and her latest late answer."""
    return [_variable(round_id, candidate_id), _variable(round_id, candidate_id, kind="late")]


async def boards() -> list[Board]:
    """Every round that has a table."""
    return [Board.model_validate(v["value"]) for v in await _read_variables([BOARD_TAG])]


async def read_rows(round_id: str) -> list[Row]:
    return [Row.model_validate(v["value"]) for v in await _read_variables([ROW_TAG, round_tag(round_id)])]


async def read_row(round_id: str, candidate_id: str) -> Row | None:
    """Her row as her run last published it (None before her run published one)."""
    async with get_client() as client:
        variable = await client.read_variable_by_name(_variable(round_id, candidate_id))
    return Row.model_validate(variable.value) if variable is not None else None


async def note_late(round_id: str, answer: LateAnswer) -> None:
    """Keep her latest late answer for the round's table, then rebuild it. A variable of its
    own, so that her run publishing her row can never overwrite it."""
    name = _variable(round_id, answer.candidate_id, kind="late")
    async with get_client() as client:
        await _store(client, name, answer.model_dump(mode="json"), [LATE_TAG, round_tag(round_id)])
        board = await client.read_variable_by_name(_board(round_id))
    if board is not None:  # no table yet: the first rebuild will show it
        await rebuild(Board.model_validate(board.value).round, analytics=False)


async def _store(client: PrefectClient, name: str, value: Any, tags: list[str]) -> None:
    """One variable, in one write: update it, or create it the first time (if another run
    created it meanwhile, update that one)."""
    try:
        await client.update_variable(VariableUpdate(name=name, value=value))
    except PrefectHTTPStatusError as error:
        if error.response.status_code != 404:
            raise
        try:
            await client.create_variable(VariableCreate(name=name, value=value, tags=tags))
        except ObjectAlreadyExists:
            await client.update_variable(VariableUpdate(name=name, value=value))


class Board(BaseModel):
    """When the round's table was last rebuilt, and what it needs to rebuild it without a run."""

    round: RoundRef
    at: datetime
    rows: int


def _board(round_id: str) -> str:
    return f"secondround-dashboard-{round_id}"


async def _due(client: PrefectClient, round_id: str, now: datetime, period: timedelta) -> bool:
    variable = await client.read_variable_by_name(_board(round_id))
    if variable is None:
        return True
    board = Board.model_validate(variable.value)
    return board.rows <= SMALL or now - board.at >= period


async def _put(client: PrefectClient, key: str, data: str, description: str) -> bool:
    """Replace the latest version of an artifact in place; False when there is none yet."""
    latest = await client.read_latest_artifacts(
        artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[key])), limit=1
    )
    if not latest:
        return False
    await client.update_artifact(latest[0].latest_id, ArtifactUpdate(data=data, description=description))
    return True


async def rebuild(
    round_: RoundDetails | RoundRef, *, analytics: bool = True, rows: Sequence[Row] | None = None
) -> None:
    """The round's table (and analytics) from every row (``rows`` when already read), as of now."""
    ref = RoundRef(id=round_.id, name=round_.name, time_zone=round_.time_zone)
    now = datetime.now(timezone.utc)
    rows = await read_rows(round_.id) if rows is None else rows
    late = [LateAnswer.model_validate(v["value"]) for v in await _read_variables([LATE_TAG, round_tag(round_.id)])]
    shown = table(round_, rows, late=late)
    described = f"{round_.name}: candidates (as of {now:%Y-%m-%d %H:%M:%S} UTC)"
    board = Board(round=ref, at=now, rows=len(rows)).model_dump(mode="json")
    async with get_client() as client:
        await _store(client, _board(round_.id), board, [BOARD_TAG, round_tag(round_.id)])
        if not await _put(client, f"round-{round_.id}", json.dumps(shown), described):
            await acreate_table_artifact(key=f"round-{round_.id}", table=shown, description=described)
        if not analytics:
            return
        lines = [f"# {round_.name}: responses", "", "| | |", "|---|---|"]
        markdown = "\n".join(lines + [f"| {name} | {value} |" for name, value in responses(rows).items()])
        if not await _put(client, f"round-{round_.id}-responses", markdown, round_.name):
            await acreate_markdown_artifact(key=f"round-{round_.id}-responses", markdown=markdown)


async def publish(round_: RoundDetails, *changed: Row, period: timedelta = PERIOD) -> None:
    """Store the changed rows, then rebuild the round's table when due, and the response
    analytics when a decision is among them (only decisions change them)."""
    async with get_client() as client:
        for row in changed:
            value = row.model_dump(mode="json")
            await _store(client, _variable(round_.id, row.candidate_id), value, [ROW_TAG, round_tag(round_.id)])
        due = await _due(client, round_.id, datetime.now(timezone.utc), period)
    if due:
        await rebuild(round_, analytics=any(row.outcome for row in changed))


async def refresh_all() -> int:
    """Rebuild every round whose rows changed after its table was last rebuilt."""
    stale = 0
    for variable in await _read_variables([BOARD_TAG]):
        board = Board.model_validate(variable["value"])
        found = await _read_variables([ROW_TAG, round_tag(board.round.id)])
        if any(datetime.fromisoformat(v["updated"]) > board.at for v in found):
            await rebuild(board.round, rows=[Row.model_validate(v["value"]) for v in found])
            stale += 1
    return stale
