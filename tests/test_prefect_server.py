"""The embedded Prefect server's changes for SQLite: open event streams never starve its request
limit; its transactions take the write lock when they
begin, so a writer overtaken by another waits instead of failing; a 503 names a retry within a
second, so Prefect's client does not back off 2, 4, 8... seconds while SQLite's writer was busy for
milliseconds; and a stalled event loop says where it is stuck."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
import pytest
from prefect.server.api.server import RequestLimitMiddleware
from prefect.server.database.configurations import AioSqliteConfiguration
from sqlalchemy import text
from starlette.types import Receive, Scope, Send

from sandbox.prefect_server import RetrySoon, Watchdog, immediate_transactions, limit_http_only


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    status = 503 if scope["path"] == "/busy" else 200
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"x"})


def fetch(path: str) -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=RetrySoon(answer))
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
            return await client.get(path)

    return asyncio.run(get())


def test_a_503_names_a_retry_within_a_second() -> None:
    waits = {float(fetch("/busy").headers["retry-after"]) for _ in range(20)}
    assert all(0.2 <= wait <= 1.0 for wait in waits)
    assert len(waits) > 1  # spread, so runs that collided do not come back together


def test_other_answers_are_left_alone() -> None:
    assert "retry-after" not in fetch("/fine").headers


def test_a_stalled_event_loop_is_logged_with_where_it_is_stuck(caplog: pytest.LogCaptureFixture) -> None:
    async def block() -> None:
        Watchdog(asyncio.get_running_loop(), limit=1.0).start_watching()
        time.sleep(3.5)  # noqa: ASYNC251  (the point: a blocking call on the loop, nothing else runs)
        await asyncio.sleep(1.5)

    with caplog.at_level(logging.ERROR, logger="secondround.server"):
        asyncio.run(block())
    stalls = [r.getMessage() for r in caplog.records if "event loop stalled" in r.getMessage()]
    assert stalls and all("time.sleep(3.5)" in stall for stall in stalls), stalls
    assert len(stalls) <= 2  # once at the limit, then at twice as long: not every half second


async def overtaken(path: Path) -> list[str]:
    """Prefect's SQLite transactions as its server opens them: A reads, B writes meanwhile, then
    A writes. What each ended with."""
    config = AioSqliteConfiguration(connection_url=f"sqlite+aiosqlite:///{path}")
    engine = await config.engine()
    async with engine.begin() as connection:
        await connection.execute(text("create table if not exists runs (n integer)"))
    read = asyncio.Event()

    async def a() -> str:
        async with await config.session(engine) as session, config.begin_transaction(session):
            await session.execute(text("select count(*) from runs"))
            read.set()
            await asyncio.sleep(0.5)  # B tries to write now
            await session.execute(text("insert into runs values (1)"))
        return "ok"

    async def b() -> str:
        await read.wait()
        async with await config.session(engine) as session, config.begin_transaction(session):
            await session.execute(text("insert into runs values (2)"))
        return "ok"

    ended = await asyncio.gather(a(), b(), return_exceptions=True)
    await engine.dispose()
    return [e if isinstance(e, str) else f"{type(e).__name__}: {e}"[:80] for e in ended]


def test_a_writer_overtaken_by_another_waits_its_turn_instead_of_failing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prefect's own DEFERRED transaction fails at once (a 503 to its client): the snapshot it read
    # is older than B's commit, and SQLite does not wait for a lock that cannot help
    [a, b] = asyncio.run(overtaken(tmp_path / "deferred.db"))
    assert (a.startswith("OperationalError") and "database is locked" in a, b) == (True, "ok")
    monkeypatch.setattr(AioSqliteConfiguration, "begin_transaction", AioSqliteConfiguration.begin_transaction)
    immediate_transactions()  # as the embedded server does: B waits for A's lock, then writes
    assert asyncio.run(overtaken(tmp_path / "immediate.db")) == ["ok", "ok"]


async def answered_beside_open_streams(streams: int) -> bool:
    """Prefect's SQLite request limit (2 here, 100 in Prefect) with ``streams`` websockets open
    for good, as flow processes keep theirs: is an HTTP request still answered?"""
    forever = asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await forever.wait()
        else:
            await answer(scope, receive, send)

    async def receive() -> dict[str, str]:
        return {"type": "websocket.connect"}

    async def send(message: object) -> None:
        pass

    limited = RequestLimitMiddleware(app, limit=2)
    open_streams = [asyncio.create_task(limited({"type": "websocket"}, receive, send)) for _ in range(streams)]
    await asyncio.sleep(0.05)
    try:
        await asyncio.wait_for(limited({"type": "http", "path": "/health"}, receive, send), 1.0)
        return True
    except TimeoutError:
        return False
    finally:
        forever.set()
        await asyncio.gather(*open_streams)


def test_open_event_streams_never_starve_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prefect's own middleware counts websockets: once they hold every token, nothing is answered
    assert asyncio.run(answered_beside_open_streams(2)) is False
    monkeypatch.setattr(RequestLimitMiddleware, "__call__", RequestLimitMiddleware.__call__)
    limit_http_only()  # as the embedded server does
    assert asyncio.run(answered_beside_open_streams(2)) is True
    assert asyncio.run(answered_beside_open_streams(50)) is True
