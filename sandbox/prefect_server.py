"""The embedded Prefect server, as ``prefect server start`` runs it, with one change for SQLite:
a 503 (SQLite's single writer was busy) tells the client to retry in under a second.

Prefect's server answers a write that lost SQLite's lock with 503 and no ``Retry-After``, and its
client then backs off 2, 4, 8, 16, 32 s: on a busy machine one candidate run lost a minute
between two subflows while the database was free again within milliseconds. With the header,
the client retries after the time it names (plus Prefect's jitter).

    python -m sandbox.prefect_server --host 127.0.0.1 --port 4200
"""

from __future__ import annotations

import argparse
import random

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4200)
    args = parser.parse_args()
    app = RetrySoon(create_app(final=True))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_keep_alive=5)


if __name__ == "__main__":
    main()
