"""Our own state that every process must agree on: claims, the mail journal, call pacing, the inbox.

One machine keeps it in files and SQLite under ``SECONDROUND_STATE_DIR`` (the embedded default);
several machines share it in PostgreSQL (``SECONDROUND_STATE_URL=postgresql://...``). Both
speak one small interface, ``Sql``: queries are written once, with ``?`` placeholders and
``{order}`` for "in the order rows were stored", and each engine adapts them.

Each call opens its own connection: a flow run makes a handful of these calls in its whole
life, and a connection never outlives the event loop that made it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import asyncpg

T = TypeVar("T")
Row = tuple[Any, ...]

SCHEMA = """
create table if not exists claims (
    round_id text not null, candidate_id text not null, owner text not null, previous text,
    primary key (round_id, candidate_id)
);
create table if not exists mail_accepted (message_id text primary key, at text not null);
create table if not exists pacing (name text primary key, slot double precision not null);
"""


class Sql(Protocol):
    async def execute(self, query: str, *args: object) -> int:
        """Run one statement; the number of rows it changed."""

    async def fetch(self, query: str, *args: object) -> list[Row]: ...


class SqliteSql:
    """One SQLite file; every statement its own durable transaction."""

    order = "rowid"

    def __init__(self, path: Path, schema: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(schema)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)  # autocommit: each write is durable
        db.execute("pragma journal_mode=wal")
        db.execute("pragma synchronous=full")
        db.execute("pragma secure_delete=on")  # an erased candidate leaves nothing in free pages
        return db

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def job() -> T:
            with self._connect() as db:
                return work(db)

        return await asyncio.to_thread(job)

    async def execute(self, query: str, *args: object) -> int:
        return await self._run(lambda db: db.execute(query.format(order=self.order), args).rowcount)

    async def fetch(self, query: str, *args: object) -> list[Row]:
        return await self._run(lambda db: [tuple(r) for r in db.execute(query.format(order=self.order), args)])


def _numbered(query: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    count = iter(range(1, 1000))
    return re.sub(r"\?", lambda _: f"${next(count)}", query)


def dsn(url: str) -> str:
    """Prefect's ``postgresql+asyncpg://`` URL is accepted too, so one URL can serve both."""
    return re.sub(r"^postgres(ql)?(\+asyncpg)?://", "postgresql://", url)


class PostgresSql:
    """A PostgreSQL database shared by every machine. ``schema`` is created once, under a lock."""

    order = "seq"

    def __init__(self, url: str, schema: str) -> None:
        self.url = dsn(url)
        self.schema = schema
        self._ready = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        db = await asyncpg.connect(self.url, timeout=30)
        try:
            if not self._ready:
                async with db.transaction():  # two processes creating one table at once: one waits
                    await db.execute("select pg_advisory_xact_lock(4242)")
                    await db.execute(self.schema)
                self._ready = True
            yield db
        finally:
            await db.close()

    async def execute(self, query: str, *args: object) -> int:
        async with self.connection() as db:
            status: str = await db.execute(_numbered(query.format(order=self.order)), *args)
        return int(status.rsplit(" ", 1)[-1]) if status[-1].isdigit() else 0

    async def fetch(self, query: str, *args: object) -> list[Row]:
        async with self.connection() as db:
            return [tuple(r) for r in await db.fetch(_numbered(query.format(order=self.order)), *args)]


def open_sql(*, url: str, path: Path, schema: str, postgres_extra: str = "") -> Sql:
    """PostgreSQL when a URL is set, else the SQLite file ``path``."""
    if url:
        return PostgresSql(url, schema + postgres_extra)
    return SqliteSql(path, schema)


@lru_cache(maxsize=4)
def shared(url: str) -> PostgresSql:
    """The machines' shared database (claims, the mail journal, pacing), one per process and URL."""
    return PostgresSql(url, SCHEMA)
