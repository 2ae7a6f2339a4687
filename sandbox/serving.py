"""Starting a local server and waiting until it answers: one helper for the peers, the stack's
pieces and the benchmarks (each probe is a function that says whether the server answers yet).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

Probe = Callable[[], bool]


def http_ok(url: str, *, verify: str | bool = True) -> Probe:
    """Answers when ``GET url`` returns 200 (``verify``: a CA file for a sandbox HTTPS server)."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=2, verify=verify).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


def smtp_greets(port: int) -> Probe:
    """Answers when an SMTP server on ``port`` sends its 220 greeting."""

    def probe() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                return sock.recv(64).startswith(b"220")
        except OSError:
            return False

    return probe


def wait_ready(
    proc: subprocess.Popen[bytes], probe: Probe, *, what: str, log: Path | None = None, timeout: float = 60
) -> None:
    """Poll ``probe`` until it answers; fail at once if the process exits, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if probe():
            return
        time.sleep(0.2)
    raise RuntimeError(f"the {what} did not start" + (f"; see {log}" if log else ""))


@contextmanager
def python_server(
    args: list[str], *, env: Mapping[str, str], probe: Probe, what: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``python <args>`` with its output discarded, ready when the ``with`` body runs, stopped after."""
    proc = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(proc, probe, what=what)
        yield proc
    finally:
        proc.terminate()
        proc.wait()
