"""Counts straight from Prefect's database (SQLite file or PostgreSQL), for ``bench.round``:
cheaper than the API while a round is running, and it sees every state a run went through."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from sandbox.postgres import Postgres
from tasks.clients.shared_state import dsn

FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


class Database:
    """Counts straight from Prefect's tables (cheaper than the API while the round runs)."""

    def __init__(self, sqlite_path: Path | None = None, postgres: Postgres | None = None) -> None:
        self.sqlite_path, self.postgres = sqlite_path, postgres

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_path is not None:
            with sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30) as db:
                return db.execute(sql).fetchall()
        assert self.postgres is not None
        import asyncpg

        url = dsn(self.postgres.url)

        async def run() -> list[tuple[Any, ...]]:
            connection = await asyncpg.connect(url)
            try:
                return [tuple(r) for r in await connection.fetch(sql)]
            finally:
                await connection.close()

        return asyncio.run(run())

    def states(self, flow_name: str) -> Counter[str]:
        rows = self.query(
            "select fr.state_type, count(*) from flow_run fr join flow f on f.id = fr.flow_id "
            f"where f.name = '{flow_name}' group by fr.state_type"
        )
        return Counter({str(state): int(n) for state, n in rows})

    def totals(self) -> dict[str, int]:
        top = self.query("select count(*) from flow_run where parent_task_run_id is null")[0]
        # a process starts at every Running of a top-level run (a resume does not raise run_count)
        started = self.query(
            "select count(*) from flow_run_state s join flow_run fr on fr.id = s.flow_run_id "
            "where fr.parent_task_run_id is null and s.type = 'RUNNING'"
        )[0]
        subflows = self.query("select count(*) from flow_run where parent_task_run_id is not null")[0][0]
        tasks = self.query("select count(*) from task_run")[0][0]
        return {"runs": int(top[0]), "processes": int(started[0]), "subflows": int(subflows), "tasks": int(tasks)}
