"""The embedded Prefect server's one change: a 503 names a retry within a second, so Prefect's
client does not back off 2, 4, 8... seconds while SQLite's writer was busy for milliseconds."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from sandbox.prefect_server import RetrySoon, Watchdog


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
