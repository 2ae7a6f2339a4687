"""The inbound service's durable inbox: every reply is written here before it is acknowledged.

One SQLite file under ``SECONDROUND_STATE_DIR`` (``web/inbox.sqlite``), or the machines' shared
PostgreSQL (``SECONDROUND_STATE_URL``) so that replicas of ``web/`` behind one address share it. A reply is stored under
the key of what brought it (the link, Twilio's ``MessageSid`` or ``CallSid``, the recruiter's
request id), so a second click, Twilio's retry of a webhook or a resent form stores nothing new.
``web/delivery.py`` then hands each pending reply to its run; the row records how that ended:

    pending -> delivered   (stored on her run and resumed, or found by the run when it wakes)
    pending -> late        (she had decided already: recorded, answered politely, not acted on)

Opt-outs (an SMS "STOP") are kept here too, and mirrored to where the worker reads them
(``tasks/optouts.py``); texts that are not answers are kept as notes for the recruiter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flows.models import Reply
from tasks.clients.shared_state import Sql, open_sql

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
_ORDERED = "alter table replies add column if not exists seq bigserial;"  # PostgreSQL has no rowid
_COLUMNS = "key, round_id, candidate_id, reply, received_at, state, run_id, detail"


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
    def __init__(self, path: Path, *, url: str = "") -> None:
        self.sql: Sql = open_sql(url=url, path=path, schema=SCHEMA, postgres_extra=_ORDERED)

    async def add(self, key: str, round_id: str, candidate_id: str, reply: Reply) -> Stored:
        """Store ``reply`` under ``key`` unless something is stored there already; either way,
        what is stored under ``key`` now."""
        now = datetime.now(timezone.utc).isoformat()
        inserted = await self.sql.execute(
            "insert into replies (key, round_id, candidate_id, reply, received_at)"
            " values (?, ?, ?, ?, ?) on conflict do nothing",
            key,
            round_id,
            candidate_id,
            reply.model_dump_json(),
            now,
        )
        [row] = await self.sql.fetch(f"select {_COLUMNS} from replies where key = ?", key)
        return _stored(row, new=bool(inserted))

    async def late(self, key: str, round_id: str, candidate_id: str, reply: Reply, *, why: str) -> Stored:
        """Record a reply that came after her decision: kept, never delivered."""
        stored = await self.add(key, round_id, candidate_id, reply)
        if stored.new:
            await self.settle(key, state="late", run_id=None, detail=why)
        return stored

    async def pending(self) -> list[Stored]:
        rows = await self.sql.fetch(f"select {_COLUMNS} from replies where state = 'pending' order by {{order}}")
        return [_stored(r) for r in rows]

    async def settle(self, key: str, *, state: str, run_id: str | None, detail: str) -> None:
        await self.sql.execute(
            "update replies set state = ?, run_id = ?, detail = ? where key = ?", state, run_id, detail, key
        )

    async def first_decision(self, round_id: str, candidate_id: str) -> Stored | None:
        """Her first stored decision that was not late (a second one changes nothing), or None; her
        picks of times offered, her changes once confirmed and the panel's report are not decisions."""
        rows = await self.sql.fetch(
            f"select {_COLUMNS} from replies where round_id = ? and candidate_id = ? and state != 'late'"
            " and key not like 'pick:%' and key not like 'change:%' and key not like 'panel-report:%'"
            " order by received_at, {order} limit 1",
            round_id,
            candidate_id,
        )
        return _stored(rows[0]) if rows else None

    async def get(self, key: str) -> Stored | None:
        rows = await self.sql.fetch(f"select {_COLUMNS} from replies where key = ?", key)
        return _stored(rows[0]) if rows else None

    async def picks(self, round_id: str, candidate_id: str) -> list[Stored]:
        """Her answers to the times offered her (``pick:`` keys), oldest first."""
        rows = await self.sql.fetch(
            f"select {_COLUMNS} from replies where round_id = ? and candidate_id = ? and key like 'pick:%'"
            " order by received_at, {order}",
            round_id,
            candidate_id,
        )
        return [_stored(r) for r in rows]

    async def opt_out(self, phone: str, word: str) -> None:
        now = datetime.now(timezone.utc).isoformat()
        insert = "insert into opt_outs (phone, at, word) values (?, ?, ?) on conflict do nothing"
        await self.sql.execute(insert, phone, now, word)

    async def unmirrored_opt_outs(self) -> list[str]:
        return [r[0] for r in await self.sql.fetch("select phone from opt_outs where mirrored = 0")]

    async def mirrored(self, phone: str) -> None:
        await self.sql.execute("update opt_outs set mirrored = 1 where phone = ?", phone)

    async def note(self, key: str, round_id: str, candidate_id: str, body: str) -> None:
        """A text that is not an answer: kept for the recruiter."""
        now = datetime.now(timezone.utc).isoformat()
        insert = "insert into notes values (?, ?, ?, ?, ?) on conflict do nothing"
        await self.sql.execute(insert, key, round_id, candidate_id, body, now)


def _stored(row: tuple[Any, ...], *, new: bool = False) -> Stored:
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
