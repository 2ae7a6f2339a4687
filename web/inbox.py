"""The inbound service's durable inbox: every reply is written here before it is acknowledged.

One SQLite file under ``SECONDROUND_STATE_DIR`` (``web/inbox.sqlite``). A reply is stored under
the key of what brought it (the link, Twilio's ``MessageSid`` or ``CallSid``, the recruiter's
request id), so a second click, Twilio's retry of a webhook or a resent form stores nothing new.
``web/delivery.py`` then hands each pending reply to its run; the row records how that ended:

    pending -> delivered   (stored on her run and resumed, or found by the run when it wakes)
    pending -> late        (she had decided already: recorded, answered politely, not acted on)

Opt-outs (an SMS "STOP") are kept here too, and mirrored to where the worker reads them
(``tasks/optouts.py``); texts that are not answers are kept as notes for the recruiter.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from flows.models import Reply

T = TypeVar("T")

SCHEMA = """
create table if not exists replies (
    key text primary key,
    round_id text not null,
    candidate_id text not null,
    reply text not null,
    received_at text not null,
    state text not null default 'pending',
    run_id text,
    detail text not null default ''
);
create index if not exists replies_by_candidate on replies (round_id, candidate_id, received_at);
create table if not exists opt_outs (
    phone text primary key, at text not null, word text not null, mirrored integer not null default 0
);
create table if not exists notes (
    key text primary key, round_id text not null, candidate_id text not null, body text not null, at text not null
);
"""


@dataclass(frozen=True)
class Stored:
    key: str
    round_id: str
    candidate_id: str
    reply: Reply
    received_at: datetime
    state: str
    run_id: str | None
    detail: str
    new: bool = False  # this request stored it (False: a repeat of a reply already stored)


class Inbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # autocommit: each write is durable
        db.execute("pragma journal_mode=wal")
        db.execute("pragma synchronous=full")
        return db

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def job() -> T:
            with self._connect() as db:
                return work(db)

        return await asyncio.to_thread(job)

    async def add(self, key: str, round_id: str, candidate_id: str, reply: Reply) -> Stored:
        """Store ``reply`` under ``key`` unless something is stored there already; either way,
        what is stored under ``key`` now."""
        now = datetime.now(timezone.utc).isoformat()

        def work(db: sqlite3.Connection) -> Stored:
            inserted = db.execute(
                "insert or ignore into replies (key, round_id, candidate_id, reply, received_at)"
                " values (?, ?, ?, ?, ?)",
                (key, round_id, candidate_id, reply.model_dump_json(), now),
            ).rowcount
            row = db.execute("select * from replies where key = ?", (key,)).fetchone()
            return _stored(row, new=bool(inserted))

        return await self._run(work)

    async def late(self, key: str, round_id: str, candidate_id: str, reply: Reply, *, why: str) -> Stored:
        """Record a reply that came after her decision: kept, never delivered."""
        stored = await self.add(key, round_id, candidate_id, reply)
        if stored.new:
            await self.settle(key, state="late", run_id=None, detail=why)
        return stored

    async def pending(self) -> list[Stored]:
        return await self._run(
            lambda db: [_stored(r) for r in db.execute("select * from replies where state = 'pending' order by rowid")]
        )

    async def settle(self, key: str, *, state: str, run_id: str | None, detail: str) -> None:
        await self._run(
            lambda db: db.execute(
                "update replies set state = ?, run_id = ?, detail = ? where key = ?", (state, run_id, detail, key)
            )
        )

    async def first_decision(self, round_id: str, candidate_id: str) -> Stored | None:
        """Her first stored decision that was not late (a second one changes nothing), or None."""
        row = await self._run(
            lambda db: db.execute(
                "select * from replies where round_id = ? and candidate_id = ? and state != 'late'"
                " order by received_at, rowid limit 1",
                (round_id, candidate_id),
            ).fetchone()
        )
        return _stored(row) if row else None

    async def opt_out(self, phone: str, word: str) -> None:
        now = datetime.now(timezone.utc).isoformat()
        insert = "insert or ignore into opt_outs (phone, at, word) values (?, ?, ?)"
        await self._run(lambda db: db.execute(insert, (phone, now, word)))

    async def unmirrored_opt_outs(self) -> list[str]:
        return await self._run(lambda db: [r[0] for r in db.execute("select phone from opt_outs where mirrored = 0")])

    async def mirrored(self, phone: str) -> None:
        await self._run(lambda db: db.execute("update opt_outs set mirrored = 1 where phone = ?", (phone,)))

    async def note(self, key: str, round_id: str, candidate_id: str, body: str) -> None:
        """A text that is not an answer: kept for the recruiter."""
        now = datetime.now(timezone.utc).isoformat()
        await self._run(
            lambda db: db.execute(
                "insert or ignore into notes values (?, ?, ?, ?, ?)", (key, round_id, candidate_id, body, now)
            )
        )


def _stored(row: tuple[str, ...], *, new: bool = False) -> Stored:
    key, round_id, candidate_id, reply, received_at, state, run_id, detail = row
    return Stored(
        key=key,
        round_id=round_id,
        candidate_id=candidate_id,
        reply=Reply.model_validate_json(reply),
        received_at=datetime.fromisoformat(received_at),
        state=state,
        run_id=run_id,
        detail=detail,
        new=new,
    )
