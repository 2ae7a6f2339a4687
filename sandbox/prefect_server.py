"""The embedded Prefect server, as ``prefect server start`` runs it, with one change for SQLite:
a 503 (SQLite's single writer was busy) tells the client to retry in under a second, and a
stalled event loop is logged with where it is stuck (``kill -USR1`` dumps every thread).

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

import uvicorn
from prefect.server.api.server import create_app
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


async def serve(*, host: str, port: int) -> None:
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
