"""The candidate's timeline: every step she went through, as an artifact on her run.

The flow body re-runs from the top after each resume, so the timeline is rebuilt from the
persisted step results each time and republished: the latest version is always complete.
Each publication is a transition: her row on the round's dashboard is republished with it.
"""

from __future__ import annotations

import httpx
from prefect import get_run_logger
from prefect.artifacts import acreate_table_artifact
from prefect.exceptions import PrefectException

from config.round import Candidate, RoundDetails
from flows.models import Slot
from flows.ops.dashboard import publish
from flows.ops.rows import row_of
from tasks.effects import Done


class Timeline:
    def __init__(self, round_: RoundDetails, candidate: Candidate) -> None:
        self.round = round_
        self.candidate = candidate
        self.lines: list[Done] = []
        self.slot: Slot | None = None
        self.outcome: str | None = None  # once decided, her row keeps it while her run stays with her

    def add(self, *lines: Done | None) -> None:
        self.lines.extend(line for line in lines if line is not None)

    async def publish(self, status: str, *, next_action: str, outcome: str | None = None) -> None:
        self.outcome = outcome or self.outcome
        rows = [
            {
                "at (UTC)": f"{line.at:%Y-%m-%d %H:%M:%S}",
                "attempt": line.attempt,
                "step": line.step,
                "what happened": line.detail,
            }
            for line in sorted(self.lines, key=lambda x: x.at)
        ]
        await acreate_table_artifact(
            key=f"timeline-{self.round.id}-{self.candidate.id}",
            table=rows or [{"at (UTC)": "", "attempt": 0, "step": "", "what happened": "nothing yet"}],
            description=f"{self.candidate.name} ({self.round.name}): {status}",
        )
        row = row_of(
            self.candidate, self.lines, state=status, slot=self.slot, next_action=next_action, outcome=self.outcome
        )
        try:
            await publish(self.round, row)
        except (PrefectException, httpx.HTTPError) as error:
            # the round's table is a view: her call or her decision must not fail because of it
            # (her next transition stores her row again; the monitor rebuilds the table)
            get_run_logger().warning("The round's dashboard was not updated for %s: %r", self.candidate.id, error)
