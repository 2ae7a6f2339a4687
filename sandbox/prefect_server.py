"""The embedded Prefect server, as ``prefect server start`` runs it, with three changes for SQLite:
its request limit counts HTTP requests only, every transaction takes the write lock when it
begins, and a 503 (SQLite's single writer was busy) tells the client to retry in under a second;
and a stalled event loop is logged with where it is stuck (``kill -USR1`` dumps every thread).

On SQLite Prefect wraps its whole app in ``RequestLimitMiddleware``, 100 requests at once, and
that counts websockets too: every flow process keeps its event streams (``/events/in``,
``/events/out``) open for its whole life, each holding one of the 100. With 30 flow processes at
once they held all of them, and every request, ``/health`` included, waited for a token that no
one would give back: the server answered nothing, its loop idle, for as long as the runs lived
(found by dumping the stuck server's tasks: 648 requests waiting in that limiter, 99 websockets
holding it). A websocket now passes the limit by; HTTP requests are limited as before.

Prefect begins most of its write transactions ``DEFERRED``: they read, then write. In WAL mode a
transaction whose snapshot is older than another writer's commit cannot start writing, and SQLite
says so at once (``SQLITE_BUSY_SNAPSHOT``) instead of waiting its busy timeout: under a round's
load nearly every retry met a newer commit, and at 12 to 30 flow runs at once requests ran out of
retries and runs failed (``create_flow_run``, ``set_state``; docs/benchmarks.md). ``IMMEDIATE``
(what Prefect itself uses for its ``FOR UPDATE`` transactions) takes the lock at ``BEGIN``, where
SQLite waits its busy timeout for it: writers queue instead of failing. Reads outside a
transaction are untouched.

Prefect's server answers a write that lost SQLite's lock with 503 and no ``Retry-After``, and its
client then backs off 2, 4, 8, 16, 32 s: on a busy machine one candidate run lost a minute
between two subflows while the database was free again within milliseconds. With the header,
the client retries after the time it names (plus Prefect's jitter).

    python -m sandbox.prefect_server --host 127.0.0.1 --port 4200
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import logging
import random
import signal
import sys
import threading
import time
import traceback
from contextlib import AbstractAsyncContextManager

import uvicorn
from prefect.server.api.server import RequestLimitMiddleware, create_app
from prefect.server.database.configurations import AioSqliteConfiguration
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RetrySoon:
    """ASGI middleware: every 503 gets ``Retry-After`` of a fraction of a second, spread so the
    runs that collided do not all come back at once."""

    def __init__(self, app: ASGIApp, *, low: float = 0.2, high: float = 1.0) -> None:
        self.app, self.low, self.high = app, low, high

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_hint(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 503:
                wait = f"{random.uniform(self.low, self.high):.2f}".encode()
                message["headers"] = [*message.get("headers", []), (b"retry-after", wait)]
            await send(message)

        await self.app(scope, receive, send_with_hint)


class Watchdog:
    """Logs where the server's event loop is stuck when it stops answering for ``limit`` seconds:
    a loop that blocks answers nothing, not even ``/health``, and says nothing about why."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, limit: float = 5.0) -> None:
        self.loop, self.limit, self.beat = loop, limit, time.monotonic()
        self.loop_thread = threading.get_ident()

    def _tick(self) -> None:
        self.beat = time.monotonic()

    def watch(self) -> None:
        """Ask the loop to note the time every half second; when it has not for ``limit`` seconds,
        log its thread's stack, then again at twice as long each time while it stays stuck."""
        asked, reported = self.beat, 0.0
        while not self.loop.is_closed():
            if self.beat >= asked:  # the last question was answered: ask again
                asked, reported = time.monotonic(), 0.0
                try:
                    self.loop.call_soon_threadsafe(self._tick)
                except RuntimeError:  # closed meanwhile
                    return
            time.sleep(0.5)
            stalled = time.monotonic() - asked
            if self.beat < asked and stalled > max(self.limit, 2 * reported):
                frame = sys._current_frames().get(self.loop_thread)
                where = "".join(traceback.format_stack(frame)[-12:]) if frame else "(no frame)"
                logging.getLogger("secondround.server").error("event loop stalled %.0f s at:\n%s", stalled, where)
                reported = stalled

    def start_watching(self) -> None:
        threading.Thread(target=self.watch, name="loop-watchdog", daemon=True).start()


def limit_http_only() -> None:
    """Prefect's SQLite request limit for HTTP requests only, never for long-lived websockets."""
    limited = RequestLimitMiddleware.__call__
    if getattr(limited, "http_only", False):
        return

    async def http_only(self: RequestLimitMiddleware, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
        else:
            await limited(self, scope, receive, send)

    http_only.http_only = True  # type: ignore[attr-defined]
    RequestLimitMiddleware.__call__ = http_only  # type: ignore[method-assign]


def immediate_transactions() -> None:
    """Make every SQLite transaction of Prefect's server ``BEGIN IMMEDIATE`` (see above)."""
    begin = AioSqliteConfiguration.begin_transaction
    if getattr(begin, "immediate", False):
        return

    def immediate(
        self: AioSqliteConfiguration, session: AsyncSession, with_for_update: bool = False
    ) -> AbstractAsyncContextManager[AsyncSessionTransaction]:
        return begin(self, session, with_for_update=True)  # Prefect's IMMEDIATE, whatever was asked

    immediate.immediate = True  # type: ignore[attr-defined]
    AioSqliteConfiguration.begin_transaction = immediate  # type: ignore[method-assign, assignment]


async def serve(*, host: str, port: int) -> None:
    limit_http_only()
    immediate_transactions()
    Watchdog(asyncio.get_running_loop()).start_watching()
    app = RetrySoon(create_app(final=True))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_keep_alive=5)
    await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # kill -USR1: every thread's stack, in the log
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(host=args.host, port=args.port))


if __name__ == "__main__":
    main()
