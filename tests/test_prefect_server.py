"""The embedded Prefect server's one change: a 503 names a retry within a second, so Prefect's
client does not back off 2, 4, 8... seconds while SQLite's writer was busy for milliseconds."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from sandbox.prefect_server import RetrySoon


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
