"""The embedded default: a local Prefect server on SQLite, our deployments, a process worker,
the sandbox Twilio, the SMTP sink, a Radicale calendar server and the inbound web service
(``web/``), each on a free loopback port.

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
from typing import IO, Any

import httpx
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, PREFECT_HOME, temporary_settings

from config.settings import Settings
from sandbox import radicale
from sandbox.tls import write_test_ca

PROJECT_DIR = Path(__file__).resolve().parent.parent
# SQLite answers 503 while its writer is busy; our server asks for a retry within a second
# (sandbox/prefect_server.py), so thirty retries are about as patient as Prefect's ten back-offs
CLIENT_RETRIES = 30
SANDBOX_ACCOUNT = "AC" + "0" * 32
SANDBOX_TOKEN = "sandbox-auth-token"  # the sandbox Twilio checks it and signs its webhooks with it
SANDBOX_FROM = "+15005550006"  # Twilio's magic test "From" number
SANDBOX_SMTP_USER = "secondround"
SANDBOX_SMTP_PASSWORD = "sandbox-smtp-password"  # the sink insists on STARTTLS, then this login


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Peers:
    """The sandbox's network peers as processes: the Twilio API, the SMTP sink, Radicale, ``web/``.

    The adapter tests start these alone; ``LocalStack`` adds a Prefect server and a worker.
    """

    def __init__(
        self,
        home: Path,
        *,
        behaviours: Path | None = None,
        calls_per_second: float = 5.0,
        time_scale: float = 1.0,
    ) -> None:
        self.home = home.resolve()
        self.twilio_url = f"http://127.0.0.1:{free_port()}"
        self.web_url = f"http://127.0.0.1:{free_port()}"
        self.smtp_port = free_port()
        self.caldav_port = free_port()
        self.tls = self.home / "tls"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_DIR),
            "SECONDROUND_PROJECT_DIR": str(PROJECT_DIR),
            "SECONDROUND_STATE_DIR": str(self.home / "state"),
            "SECONDROUND_TIME_SCALE": str(time_scale),
            "SECONDROUND_TWILIO_API_BASE_URL": self.twilio_url,
            "SECONDROUND_TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT,
            "SECONDROUND_TWILIO_AUTH_TOKEN": SANDBOX_TOKEN,
            "SECONDROUND_TWILIO_FROM_NUMBER": SANDBOX_FROM,
            "SECONDROUND_TWILIO_CALLS_PER_SECOND": str(calls_per_second),
            "SECONDROUND_PUBLIC_BASE_URL": self.web_url,
            "SECONDROUND_SMTP_HOST": "127.0.0.1",
            "SECONDROUND_SMTP_PORT": str(self.smtp_port),
            "SECONDROUND_SMTP_USERNAME": SANDBOX_SMTP_USER,
            "SECONDROUND_SMTP_PASSWORD": SANDBOX_SMTP_PASSWORD,
            "SECONDROUND_SMTP_CA_FILE": str(self.tls / "ca.pem"),
            "SECONDROUND_CALDAV_URL": radicale.base_url(self.caldav_port),
            "SECONDROUND_CALDAV_USERNAME": radicale.SANDBOX_CALDAV_USER,
            "SECONDROUND_CALDAV_PASSWORD": radicale.SANDBOX_CALDAV_PASSWORD,
            "SECONDROUND_CALDAV_CREATE_MISSING": "true",
        }
        if behaviours is not None:
            self.env["SECONDROUND_SANDBOX_BEHAVIOURS"] = str(behaviours.resolve())
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def read_settings(self, **overrides: Any) -> Settings:
        """The settings a process started with ``self.env`` would read."""
        values = {
            k.removeprefix("SECONDROUND_").lower(): v for k, v in self.env.items() if k.startswith("SECONDROUND_")
        }
        return Settings.model_validate({**values, **overrides})

    @property
    def outbox(self) -> Path:
        return self.home / "state" / "sandbox" / "outbox"

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

    def start_peers(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        write_test_ca(self.tls)
        twilio_port, web_port = self.twilio_url.rsplit(":", 1)[1], self.web_url.rsplit(":", 1)[1]
        twilio = self._python("-m", "sandbox.twilio_api", "--port", twilio_port, log="twilio.log")
        smtp = self._python("-m", "sandbox.smtp", "--port", str(self.smtp_port), "--tls", str(self.tls), log="smtp.log")
        config = radicale.write_config(self.home, self.caldav_port)
        calendars = self._python("-m", "radicale", "--config", str(config), log="radicale.log")
        web = self._python(
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
        self._wait_healthy(f"{self.twilio_url}/sandbox/requests", twilio, "sandbox Twilio", "twilio.log")
        self._wait_smtp(smtp)
        self._wait_healthy(f"http://127.0.0.1:{self.caldav_port}/.web/", calendars, "Radicale", "radicale.log")
        self._wait_healthy(f"{self.web_url}/health", web, "web service", "web.log")

    def start(self) -> Peers:
        self.start_peers()
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

    def _wait_smtp(self, proc: subprocess.Popen[bytes], *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=2) as sock:
                    if sock.recv(64).startswith(b"220"):
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the SMTP sink did not start; see {self.home / 'smtp.log'}")

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
        self._logs.clear()


class LocalStack(Peers):
    def __init__(
        self,
        home: Path,
        *,
        port: int | None = None,
        time_scale: float = 1.0,
        behaviours: Path | None = None,
        worker_limit: int = 6,
        workers: int = 1,
        database_url: str | None = None,
        ui: bool = False,
        calls_per_second: float = 5.0,
    ) -> None:
        super().__init__(home, behaviours=behaviours, calls_per_second=calls_per_second, time_scale=time_scale)
        self.port = port or free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.worker_limit = worker_limit
        self.workers = workers
        self.env.update(
            {
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
                # runs held back by the worker's limit are a queue, not late: marking a large
                # round's backlog "Late" every 5 s was most of SQLite's lock errors
                "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": "900",
                "PREFECT_CLIENT_MAX_RETRIES": str(CLIENT_RETRIES),
            }
        )
        if database_url:  # the scale-out configuration: PostgreSQL (sandbox/postgres.py) for SQLite
            self.env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url

    def client_settings(self) -> AbstractContextManager[object]:
        """Point this process's Prefect client at the stack."""
        return temporary_settings(
            updates={
                PREFECT_API_URL: self.api_url,
                PREFECT_HOME: Path(self.env["PREFECT_HOME"]),
                PREFECT_CLIENT_MAX_RETRIES: CLIENT_RETRIES,  # as the worker's runs
            }
        )

    def _prefect(self, *args: str, log: str | None = None) -> subprocess.Popen[bytes]:
        return self._python("-m", "prefect", *args, log=log)

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
        # `prefect server start` with a short Retry-After on 503s (sandbox/prefect_server.py)
        server = self._python("-m", "sandbox.prefect_server", "--port", str(self.port), log="server.log")
        self.start_peers()
        self._wait_healthy(f"{self.api_url}/health", server, "Prefect server", "server.log", timeout=90)
        self._run("work-pool", "create", "secondround", "--type", "process", "--overwrite")
        self._run("--no-prompt", "deploy", "--all")
        # here runs start when a test or the demo says so: the quarter-hourly monitor would
        # otherwise wake up in the middle of a test and email about its deliberate crashes
        self._run("--no-prompt", "deployment", "schedule", "pause", "--all")
        # six flow processes at once: on two cores twelve spent their time starting Python and
        # kept SQLite's writer busy long enough for 503s and minutes of client back-off
        for n in range(self.workers):
            log = "worker.log" if n == 0 else f"worker-{n + 1}.log"
            self._prefect("worker", "start", "--pool", "secondround", "--limit", str(self.worker_limit), log=log)
        return self

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
