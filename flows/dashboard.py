"""The round's dashboard: one row per candidate, republished on every transition of her run.

Each run keeps its own row in a Prefect variable (tagged with the round), then rebuilds the
round's table artifact ``round-<id>`` (candidate, state, attempt, last contact, next action,
slot, room) and the response analytics ``round-<id>-responses`` (time to reply; shares
confirmed on the first attempt, after a voicemail, after a retry, and released) from every row.
Two transitions at the same moment may publish in either order; the next one sets it right.
Rows and analytics are pure (``row_of``, ``responses``); publishing is the only I/O.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import get_client
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.actions import VariableCreate, VariableUpdate
from prefect.exceptions import PrefectHTTPStatusError
from pydantic import BaseModel

from config.round import Candidate, RoundDetails
from flows.deployments import round_tag
from flows.models import Slot
from tasks.effects import Done

CONTACT = {"call", "voicemail", "email", "sms"}
ROW_TAG = "secondround-row"


class Row(BaseModel):
    candidate_id: str
    name: str
    state: str
    attempt: int = 0
    last_contact: datetime | None = None
    next_action: str = ""
    slot: Slot | None = None
    outcome: str | None = None
    first_contact: datetime | None = None
    replied_at: datetime | None = None
    voicemail: bool = False


def row_of(
    candidate: Candidate, lines: Sequence[Done], *, state: str, slot: Slot | None, next_action: str, outcome: str | None
) -> Row:
    """Her row from her timeline as it stands."""
    contacts = sorted((line for line in lines if line.step in CONTACT and line.attempt > 0), key=lambda x: x.at)
    replies = [line for line in lines if line.step == "reply" and line.detail.startswith("replied")]
    return Row(
        candidate_id=candidate.id,
        name=candidate.name,
        state=state,
        attempt=max((line.attempt for line in lines), default=0),
        last_contact=contacts[-1].at if contacts else None,
        next_action=next_action,
        slot=slot,
        outcome=outcome,
        first_contact=contacts[0].at if contacts else None,
        replied_at=min((r.at for r in replies), default=None),
        voicemail=any(line.step == "voicemail" and line.detail.startswith("voicemail left") for line in lines),
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def responses(rows: Sequence[Row]) -> dict[str, Any]:
    """How the round's candidates answered, over those decided."""
    decided = [r for r in rows if r.outcome]
    confirmed = [r for r in decided if r.outcome == "confirmed"]
    waits = sorted(
        (r.replied_at - r.first_contact).total_seconds() for r in decided if r.replied_at and r.first_contact
    )

    def share(count: int) -> str:
        return f"{count / len(decided):.0%} ({count})" if decided else "-"

    return {
        "candidates": len(rows),
        "decided": len(decided),
        "confirmed on the first attempt": share(sum(1 for r in confirmed if r.attempt == 1 and not r.voicemail)),
        "confirmed after a voicemail": share(sum(1 for r in confirmed if r.attempt == 1 and r.voicemail)),
        "confirmed after a retry": share(sum(1 for r in confirmed if r.attempt > 1)),
        "released": share(len(decided) - len(confirmed)),
        "time to reply, median": _minutes(statistics.median(waits)) if waits else "-",
        "time to reply, slowest": _minutes(waits[-1]) if waits else "-",
    }


def table(round_: RoundDetails, rows: Sequence[Row]) -> list[dict[str, Any]]:
    zone = ZoneInfo(round_.time_zone)

    def at(moment: datetime | None) -> str:
        return f"{moment.astimezone(zone):%a %d %b %H:%M}" if moment else "-"

    return [
        {
            "candidate": r.name,
            "state": r.state,
            "attempt": r.attempt,
            "last contact": at(r.last_contact),
            "next action": r.next_action,
            "slot": at(r.slot.start) if r.slot else "-",
            "room": r.slot.room_id if r.slot else "-",
        }
        for r in sorted(rows, key=lambda r: r.name)
    ]


def _variable(round_id: str, candidate_id: str) -> str:
    return f"secondround-row-{round_id}--{candidate_id}"


async def read_rows(round_id: str) -> list[Row]:
    rows: list[Row] = []
    tags = [ROW_TAG, round_tag(round_id)]
    async with get_client() as client:
        while True:
            response = await client._client.post(
                "/variables/filter",
                json={
                    "variables": {"tags": {"all_": tags}},
                    "limit": 200,
                    "offset": len(rows),
                },
            )
            response.raise_for_status()
            page = response.json()
            rows += [Row.model_validate(v["value"]) for v in page]
            if len(page) < 200:
                return rows


async def _store(client: PrefectClient, round_id: str, row: Row) -> None:
    """Her row, in one write: update it, or create it the first time."""
    name, value = _variable(round_id, row.candidate_id), row.model_dump(mode="json")
    try:
        await client.update_variable(VariableUpdate(name=name, value=value))
    except PrefectHTTPStatusError as error:
        if error.response.status_code != 404:
            raise
        await client.create_variable(VariableCreate(name=name, value=value, tags=[ROW_TAG, round_tag(round_id)]))


async def publish(round_: RoundDetails, *changed: Row) -> None:
    """Store the changed rows, then republish the round's table from all rows, and the response
    analytics when a decision is among them (only decisions change them)."""
    async with get_client() as client:
        for row in changed:
            await _store(client, round_.id, row)
    rows = await read_rows(round_.id)
    described = f"{round_.name}: candidates"
    await acreate_table_artifact(key=f"round-{round_.id}", table=table(round_, rows), description=described)
    if any(row.outcome for row in changed):
        lines = [f"# {round_.name}: responses", "", "| | |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in responses(rows).items()]
        await acreate_markdown_artifact(key=f"round-{round_.id}-responses", markdown="\n".join(lines))
