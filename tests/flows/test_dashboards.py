"""The round's table on the live stack: a large round's table is rebuilt in place at most once a
period and caught up by the monitor; runs racing to publish a new round's first rows all succeed."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
    ArtifactFilter,
    ArtifactFilterKey,
)

from flows.ops.dashboard import SMALL, publish, refresh_all
from flows.ops.rows import Row
from sandbox.harness import Harness
from sandbox.rounds import candidate, round_data

pytestmark = pytest.mark.stack


def test_a_large_rounds_table_is_rebuilt_in_place_at_most_every_period_and_caught_up_by_the_monitor(
    harness: Harness,
) -> None:
    data = round_data("large", [candidate("lia", day=7)])
    round_ = harness.round(data, {}).details
    rows = [Row(candidate_id=f"c{n:02d}", name=f"Candidate {n:02d}", state="started") for n in range(SMALL + 5)]

    async def play() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int, int]:
        await publish(round_, *rows)  # the first publication of a round always rebuilds it
        late = rows[0].model_copy(update={"state": "confirmed", "outcome": "confirmed"})
        await publish(round_, late, period=timedelta(hours=1))  # a rebuild of more than SMALL rows is recent
        before = await table_of("round-large")
        caught_up = await refresh_all()
        after = await table_of("round-large")
        async with get_client() as client:
            versions = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["round-large"]))
            )
        return before, after, caught_up, len(versions)

    before, after, caught_up, versions = asyncio.run(play())
    assert len(before) == SMALL + 5 and before[0]["state"] == "started"  # not rebuilt for one change
    assert caught_up >= 1 and after[0]["state"] == "confirmed"  # the monitor's refresh shows it
    assert versions == 1  # updated in place, not a new version per transition


async def table_of(key: str) -> list[dict[str, Any]]:
    async with get_client() as client:
        [found] = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[key]))
        )
    rows = json.loads(found.data) if isinstance(found.data, str) else found.data
    assert isinstance(rows, list)
    return rows


def test_runs_publishing_a_new_rounds_first_rows_at_once_all_succeed(harness: Harness) -> None:
    round_ = harness.round(round_data("burst", [candidate("bo", day=7)]), {}).details
    rows = [Row(candidate_id=f"b{n}", name=f"Burst {n}", state="started") for n in range(6)]

    async def play() -> list[dict[str, Any]]:
        await asyncio.gather(*(publish(round_, row) for row in rows))  # all race to create the board
        return await table_of("round-burst")

    assert len(asyncio.run(play())) >= 1
