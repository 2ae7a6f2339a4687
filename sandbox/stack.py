"""The embedded default: a local Prefect server on SQLite, our deployments, a process worker,
the sandbox Twilio and the inbound web service (``web/``), each on a free loopback port.

``make demo`` and the flow tests both start it with ``LocalStack``; everything lives under one
folder (``PREFECT_HOME``, the sandbox ledger, claims, results) and is stopped on exit.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

PROJECT_DIR = Path(__file__).resolve().parent.parent
SANDBOX_ACCOUNT = "AC" + "0" * 32
SANDBOX_TOKEN = "sandbox-auth-token"  # the sandbox Twilio checks it and signs its webhooks with it
SANDBOX_FROM = "+15005550006"  # Twilio's magic test "From" number


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalStack:
    def __init__(
        self,
        home: Path,
        *,
        port: int | None = None,
        time_scale: float = 1.0,
        behaviours: Path | None = None,
        worker_limit: int = 12,
        ui: bool = False,
        calls_per_second: float = 5.0,
    ) -> None:
        self.home = home.resolve()
        self.port = port or free_port()
        self.twilio_url = f"http://127.0.0.1:{free_port()}"
        self.web_url = f"http://127.0.0.1:{free_port()}"
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.worker_limit = worker_limit
        self.env = {
            **os.environ,
            "PREFECT_HOME": str(self.home / "prefect"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "true" if ui else "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "2",
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
            # SQLite allows one writer: batch the server's background writers so they collide less
            # with run creation (each collision is a 503 and a 2 s client back-off)
            "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "500",
            "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "2",
            "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "1000",
            "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL": "2",
            "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "5",
            "PREFECT_CLIENT_MAX_RETRIES": "10",
            "SECONDROUND_PROJECT_DIR": str(PROJECT_DIR),
            "SECONDROUND_STATE_DIR": str(self.home / "state"),
            "SECONDROUND_TIME_SCALE": str(time_scale),
            "PYTHONPATH": str(PROJECT_DIR),
            "SECONDROUND_TWILIO_API_BASE_URL": self.twilio_url,
            "SECONDROUND_TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT,
            "SECONDROUND_TWILIO_AUTH_TOKEN": SANDBOX_TOKEN,
            "SECONDROUND_TWILIO_FROM_NUMBER": SANDBOX_FROM,
            "SECONDROUND_TWILIO_CALLS_PER_SECOND": str(calls_per_second),
            "SECONDROUND_PUBLIC_BASE_URL": self.web_url,
        }
        if behaviours is not None:
            self.env["SECONDROUND_SANDBOX_BEHAVIOURS"] = str(behaviours.resolve())
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def client_settings(self) -> AbstractContextManager[object]:
        """Point this process's Prefect client at the stack."""
        return temporary_settings(updates={PREFECT_API_URL: self.api_url, PREFECT_HOME: Path(self.env["PREFECT_HOME"])})

    def _prefect(self, *args: str, log: str | None = None) -> subprocess.Popen[bytes]:
        return self._python("-m", "prefect", *args, log=log)

    def _python(self, *args: str, log: str | None = None) -> subprocess.Popen[bytes]:
        out: IO[bytes] | int = subprocess.DEVNULL
        if log:
            handle = (self.home / log).open("ab")
            self._logs.append(handle)
            out = handle
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_DIR,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._procs.append(proc)
        return proc

    def _run(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            cwd=PROJECT_DIR,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=180,
        )

    def start(self) -> LocalStack:
        self.home.mkdir(parents=True, exist_ok=True)
        self._prefect("server", "start", "--host", "127.0.0.1", "--port", str(self.port), log="server.log")
        twilio_port, web_port = self.twilio_url.rsplit(":", 1)[1], self.web_url.rsplit(":", 1)[1]
        self._python("-m", "sandbox.twilio_api", "--port", twilio_port, log="twilio.log")
        self._python(
            "-m",
            "uvicorn",
            "web.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            web_port,
            "--log-level",
            "warning",
            log="web.log",
        )
        self._wait_healthy(f"{self.api_url}/health", self._procs[0], "Prefect server", "server.log", timeout=90)
        self._wait_healthy(f"{self.twilio_url}/sandbox/requests", self._procs[1], "sandbox Twilio", "twilio.log")
        self._wait_healthy(f"{self.web_url}/health", self._procs[2], "web service", "web.log")
        self._run("work-pool", "create", "secondround", "--type", "process", "--overwrite")
        self._run("--no-prompt", "deploy", "--all")
        self._prefect("worker", "start", "--pool", "secondround", "--limit", str(self.worker_limit), log="worker.log")
        return self

    def _wait_healthy(
        self, url: str, proc: subprocess.Popen[bytes], name: str, log: str, *, timeout: float = 60
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"the {name} did not start; see {self.home / log}")

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self._procs):
            try:
                proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for handle in self._logs:
            handle.close()
        self._procs.clear()

    def __enter__(self) -> LocalStack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
