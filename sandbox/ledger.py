"""The sandbox's shared record of everything "sent" and "booked", in one SQLite file.

It stands in for the outside world in the demo and the tests: the phone, the mailbox and the
calendars all write here, so a test can count what a candidate really received. Like a real
peer it deduplicates by the key the caller sends (an SMTP Message-ID, a CalDAV UID), which is
what makes a crash between "sent" and "recorded as sent" harmless.
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
CREATE TABLE IF NOT EXISTS holds (
    uid TEXT PRIMARY KEY, calendar TEXT NOT NULL, round_id TEXT NOT NULL, candidate_id TEXT NOT NULL,
    start TEXT NOT NULL, end TEXT NOT NULL, status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS holds_by_calendar ON holds (calendar, start);
"""


class HoldConflict(Exception):
    """Another hold overlaps the requested time on that calendar."""


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


@dataclass(frozen=True)
class Hold:
    uid: str
    calendar: str
    candidate_id: str
    start: datetime
    end: datetime
    status: str


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

    def hold(
        self, uid: str, *, calendar: str, round_id: str, candidate_id: str, start: datetime, end: datetime
    ) -> Hold:
        """Place a tentative hold; the same uid again is a no-op, an overlap raises ``HoldConflict``."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: the overlap check and insert are atomic
            try:
                existing = db.execute("SELECT * FROM holds WHERE uid = ?", (uid,)).fetchone()
                if existing is None:
                    clash = db.execute(
                        "SELECT uid FROM holds WHERE calendar = ? AND status != 'cancelled' AND start < ? AND end > ?",
                        (calendar, end.isoformat(), start.isoformat()),
                    ).fetchone()
                    if clash:
                        raise HoldConflict(f"{calendar} is held by {clash[0]} at that time")
                    db.execute(
                        "INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?, 'tentative')",
                        (uid, calendar, round_id, candidate_id, start.isoformat(), end.isoformat()),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return self.get_hold(uid)

    def set_status(self, uid: str, status: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE holds SET status = ? WHERE uid = ?", (status, uid))

    def get_hold(self, uid: str) -> Hold:
        with self._connect() as db:
            row = db.execute("SELECT * FROM holds WHERE uid = ?", (uid,)).fetchone()
        return _hold(row)

    def holds(self, *, calendar: str | None = None, round_id: str | None = None) -> list[Hold]:
        query, args = "SELECT * FROM holds WHERE 1=1", list[str]()
        if calendar:
            query, args = query + " AND calendar = ?", [*args, calendar]
        if round_id:
            query, args = query + " AND round_id = ?", [*args, round_id]
        with self._connect() as db:
            return [_hold(r) for r in db.execute(query + " ORDER BY start", args).fetchall()]


def _hold(row: Any) -> Hold:
    return Hold(row[0], row[1], row[3], datetime.fromisoformat(row[4]), datetime.fromisoformat(row[5]), row[6])
