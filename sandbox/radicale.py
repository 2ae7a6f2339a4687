"""The sandbox calendar server: Radicale (a real CalDAV server) on loopback, with a login.

Staff and room calendars are created on first use (``SECONDROUND_CALDAV_CREATE_MISSING``).
``python -m sandbox.radicale --config <home>/radicale/config`` is what ``sandbox.peers`` starts:
Radicale's own server and application, with one door added for the tests, as the Google and
Graph stand-ins have: ``POST /.sandbox/throttle`` ``{"requests": n, "retry_after": s}`` makes
the next n requests answer 429 with ``Retry-After``, as a hosted CalDAV service's quota does;
``GET /.sandbox/requests`` lists the requests served (method and path).
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import radicale.config
import radicale.server
from radicale.app import Application

SANDBOX_CALDAV_USER = "secondround"
SANDBOX_CALDAV_PASSWORD = "sandbox-caldav-password"


def write_config(home: Path, port: int) -> Path:
    folder = home / "radicale"
    folder.mkdir(parents=True, exist_ok=True)
    users = folder / "users"
    users.write_text(f"{SANDBOX_CALDAV_USER}:{SANDBOX_CALDAV_PASSWORD}\n")
    config = folder / "config"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {users}",
                "htpasswd_encryption = plain",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {folder / 'collections'}",
                "[logging]",
                "level = warning",
                "",
            ]
        )
    )
    return config


def base_url(port: int) -> str:
    """The sandbox user's collection: calendars are ``<base>staff-<id>/`` and ``<base>room-<id>/``."""
    return f"http://127.0.0.1:{port}/{SANDBOX_CALDAV_USER}/"


class ThrottledApplication(Application):
    """Radicale, answering 429 to the next n requests when told to."""

    throttle: ClassVar[dict[str, int]] = {"requests": 0, "retry_after": 1}
    served: ClassVar[deque[dict[str, str]]] = deque(maxlen=100_000)
    lock: ClassVar[threading.Lock] = threading.Lock()

    def __call__(self, environ: Mapping[str, Any], start_response: Any) -> Iterable[bytes]:
        path, method = str(environ.get("PATH_INFO")), str(environ.get("REQUEST_METHOD"))
        if path == "/.sandbox/requests":
            start_response("200 OK", [("Content-Type", "application/json")])
            with self.lock:
                return [json.dumps(list(self.served)).encode()]
        if path == "/.sandbox/throttle" and method == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            with self.lock:
                self.throttle.update(json.loads(environ["wsgi.input"].read(size) or b"{}"))
            start_response("204 No Content", [])
            return [b""]
        with self.lock:
            self.served.append({"method": method, "path": path})
            throttled = self.throttle["requests"] > 0
            self.throttle["requests"] -= throttled
        if throttled:
            start_response("429 Too Many Requests", [("Retry-After", str(self.throttle["retry_after"]))])
            return [b"slow down"]
        answer: Iterable[bytes] = super().__call__(environ, start_response)
        return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    configuration = radicale.config.load([(args.config, False)])
    setattr(radicale.server, "Application", ThrottledApplication)  # noqa: B010 serve() builds its app by this name
    radicale.server.serve(configuration)


if __name__ == "__main__":
    main()
