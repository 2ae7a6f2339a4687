"""The sandbox's network peers as processes: the Twilio API, the SMTP sink, Radicale and the
inbound web service (``web/``), each on a free loopback port, configured through one environment.

The adapter tests start these alone; ``sandbox.stack.LocalStack`` adds a Prefect server and a worker.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from config.settings import Settings
from sandbox import radicale
from sandbox.gcal_api import google_env, write_service_account
from sandbox.graph_api import graph_env
from sandbox.serving import Probe, http_ok, smtp_greets, wait_ready
from sandbox.tls import write_app_certificate, write_test_ca

PROJECT_DIR = Path(__file__).resolve().parent.parent
SANDBOX_ACCOUNT = "AC" + "0" * 32
SANDBOX_TOKEN = "sandbox-auth-token"  # the sandbox Twilio checks it and signs its webhooks with it
SANDBOX_FROM = "+15005550006"  # Twilio's magic test "From" number
SANDBOX_SMTP_USER = "secondround"
SANDBOX_SMTP_PASSWORD = "sandbox-smtp-password"  # the sink insists on STARTTLS, then this login


_GIVEN: set[int] = set()  # handed out by this process: never twice


def free_port() -> int:
    """A port for one of our servers, below the ephemeral range: a port the kernel hands out for
    outgoing connections (32768 and up on Linux) can be taken by one of the stack's own clients
    between our check and the server's bind, and the server then dies with "address in use"."""
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        if port in _GIVEN:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise OSError("no free port below the ephemeral range")


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return 32768, 60999
    return int(low), int(high)


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
        self.graph_url = f"https://127.0.0.1:{free_port()}"
        self.google_url = f"https://127.0.0.1:{free_port()}"
        self.tls = self.home / "tls"
        self.env = {**os.environ, **self._settings_env(time_scale=time_scale, calls_per_second=calls_per_second)}
        if behaviours is not None:
            self.env["SECONDROUND_SANDBOX_BEHAVIOURS"] = str(behaviours.resolve())
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def _settings_env(self, *, time_scale: float, calls_per_second: float) -> dict[str, str]:
        """Every process of the stack reads its settings from these (``SECONDROUND_*``)."""
        return {
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
            **graph_env(self.graph_url, self.tls / "ca.pem"),
            **google_env(self.google_url, self.tls),
        }

    def read_settings(self, **overrides: Any) -> Settings:
        """The settings a process started with ``self.env`` would read."""
        values = {
            k.removeprefix("SECONDROUND_").lower(): v for k, v in self.env.items() if k.startswith("SECONDROUND_")
        }
        return Settings.model_validate({**values, **overrides})

    @property
    def outbox(self) -> Path:
        return self.home / "state" / "sandbox" / "outbox"

    def _python(self, *args: str, log: str | None = None, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        out: IO[bytes] | int = subprocess.DEVNULL
        if log:
            handle = (self.home / log).open("ab")
            self._logs.append(handle)
            out = handle
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_DIR,
            env={**self.env, **(env or {})},
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
        calendars = self._start_calendars()
        web = self._python(
            "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1", "--port", web_port, "--log-level", "warning",
            log="web.log",
        )  # fmt: skip
        wait_ready(
            twilio, http_ok(f"{self.twilio_url}/sandbox/requests"), what="sandbox Twilio", log=self._log("twilio")
        )
        wait_ready(smtp, smtp_greets(self.smtp_port), what="SMTP sink", log=self._log("smtp"))
        wait_ready(web, http_ok(f"{self.web_url}/health"), what="web service", log=self._log("web"))
        for proc, probe, what, log in calendars:
            wait_ready(proc, probe, what=what, log=self._log(log))

    def _start_calendars(self) -> list[tuple[subprocess.Popen[bytes], Probe, str, str]]:
        """Radicale, the Graph stand-in and the Google stand-in (both over HTTPS), started; what
        tells each is ready."""
        config = radicale.write_config(self.home, self.caldav_port)
        calendars = self._python("-m", "sandbox.radicale", "--config", str(config), log="radicale.log")
        tls = ("--certfile", str(self.tls / "server.pem"), "--keyfile", str(self.tls / "server.key"))
        app = ("--app-certificate", str(write_app_certificate(self.tls)))
        graph_port, google_port = self.graph_url.rsplit(":", 1)[1], self.google_url.rsplit(":", 1)[1]
        graph = self._python("-m", "sandbox.graph_api", "--port", graph_port, *tls, *app, log="graph.log")
        key = write_service_account(self.tls, f"{self.google_url}/token")
        google = self._python(
            "-m", "sandbox.gcal_api", "--port", google_port, "--key-file", str(key), *tls, log="google.log"
        )
        ca = str(self.tls / "ca.pem")
        return [
            (calendars, http_ok(f"http://127.0.0.1:{self.caldav_port}/.web/"), "Radicale", "radicale"),
            (graph, http_ok(f"{self.graph_url}/sandbox/requests", verify=ca), "Microsoft Graph stand-in", "graph"),
            (google, http_ok(f"{self.google_url}/sandbox/requests", verify=ca), "Google Calendar stand-in", "google"),
        ]

    def start(self) -> Peers:
        self.start_peers()
        return self

    def _log(self, name: str) -> Path:
        return self.home / f"{name}.log"

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
