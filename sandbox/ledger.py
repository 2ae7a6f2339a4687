"""The sandbox's shared record of everything "sent", in one SQLite file.

The sandbox Twilio and the SMTP sink write here, so a test can count what a candidate really
received. Like a mailbox it recognises the key the caller sends (the Message-ID), so a message
handed over twice after a crash is counted (``tries``), not delivered twice. Calendars are a
real CalDAV server (Radicale) in the sandbox, read with ``tasks.clients.caldav``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS effects (
    key TEXT PRIMARY KEY, channel TEXT NOT NULL, round_id TEXT NOT NULL, candidate_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL, at TEXT NOT NULL,
    tries INTEGER NOT NULL DEFAULT 1);
"""


@dataclass(frozen=True)
class Effect:
    key: str
    channel: str
    round_id: str
    candidate_id: str
    attempt: int
    recipient: str
    body: dict[str, Any]
    at: datetime
    tries: int  # how often it was handed over: above 1, the peer's dedupe saved the candidate a repeat


class Ledger:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "ledger.db"
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA secure_delete=ON")  # an erased candidate leaves nothing in free pages
            yield db
        finally:
            db.close()

    def record(
        self,
        key: str,
        *,
        channel: str,
        round_id: str,
        candidate_id: str,
        attempt: int,
        recipient: str,
        body: dict[str, Any],
    ) -> bool:
        """Store one delivered message or call; False when that key was delivered already."""
        with self._connect() as db:
            fresh = (
                db.execute(
                    "INSERT OR IGNORE INTO effects VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)",
                    (
                        key,
                        channel,
                        round_id,
                        candidate_id,
                        attempt,
                        recipient,
                        json.dumps(body, default=str),
                        datetime.now(timezone.utc).isoformat(),
                    ),
                ).rowcount
                == 1
            )
            if not fresh:
                db.execute("UPDATE effects SET tries = tries + 1 WHERE key = ?", (key,))
            return fresh

    def effects(self, *, round_id: str | None = None, candidate_id: str | None = None) -> list[Effect]:
        query, args = "SELECT * FROM effects WHERE 1=1", list[str]()
        if round_id:
            query, args = query + " AND round_id = ?", [*args, round_id]
        if candidate_id:
            query, args = query + " AND candidate_id = ?", [*args, candidate_id]
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY at, key", args).fetchall()
        return [
            Effect(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), datetime.fromisoformat(r[7]), r[8])
            for r in rows
        ]
