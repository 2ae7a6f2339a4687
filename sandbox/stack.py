"""The embedded default: a local Prefect server on SQLite, our deployments, a process worker,
the sandbox Twilio, the SMTP sink, a Radicale calendar server and the inbound web service
(``web/``), each on a free loopback port.

``make demo`` and the flow tests both start it with ``LocalStack``; everything lives under one
folder (``PREFECT_HOME``, the sandbox ledger, claims, results) and is stopped on exit.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, PREFECT_HOME, temporary_settings

from flows.ops.healing import HEARTBEAT_SECONDS, TAKEOVER
from sandbox import bucket, machines
from sandbox.peers import PROJECT_DIR, Peers, free_port
from sandbox.serving import http_ok, wait_ready
from sandbox.tls import write_test_ca

log = logging.getLogger("sandbox.stack")

# SQLite answers 503 while its writer is busy; our server asks for a retry within a second
# (sandbox/prefect_server.py), so thirty retries are about as patient as Prefect's ten back-offs
CLIENT_RETRIES = 30
# How many flow runs at once Prefect on SQLite holds on two cores (bench/limits.py,
# docs/benchmarks.md): at 30 it answered so slowly that a call's keypad webhook, which stores her
# digit through Prefect, missed Twilio's timeout. On SQLite the pool is capped here, so a worker
# started with a higher --limit queues the rest (a suspended run holds no slot).
SQLITE_FLOW_RUNS = 12


def prefect_env(home: Path, api_url: str, *, ui: bool) -> dict[str, str]:
    """The Prefect settings every process of the stack shares (server, worker, flow runs)."""
    return {
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_API_URL": api_url,
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
        # a heartbeat every 30 s (Prefect's least; 180 by default): a run whose process died is
        # crashed by flows/ops/healing.py's automation after three are missed
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_SECONDS),
    }


@dataclass(frozen=True)
class Machines:
    """The scale-out configuration across machines: our state in ``state_url`` (PostgreSQL), the
    results in a local S3-compatible bucket, and each worker a disk of its own."""

    state_url: str


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
        machines: Machines | None = None,
        takeover: bool = False,
        capped: bool = True,
    ) -> None:
        super().__init__(home, behaviours=behaviours, calls_per_second=calls_per_second, time_scale=time_scale)
        self.port = port or free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.worker_limit = worker_limit
        self.workers = workers
        self.env.update(prefect_env(self.home, self.api_url, ui=ui))
        self.worker_procs: dict[int, subprocess.Popen[bytes]] = {}
        # the API is plain HTTP on loopback, yet Prefect builds a TLS context for every client it
        # makes (a dozen per flow run): from certifi's 150 certificates that cost 0.1-0.2 s of
        # CPU each, from the sandbox's one certificate nothing
        self.env["PREFECT_API_SSL_CERT_FILE"] = str(self.tls / "ca.pem")
        if database_url:  # the scale-out configuration: PostgreSQL (sandbox/postgres.py) for SQLite
            self.env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
        self.capped = capped and not database_url  # bench/limits.py measures without the cap
        self.machines = machines
        self.takeover = takeover
        self.bucket_url = ""
        if machines:  # each worker a machine of its own, sharing only the database and the bucket
            self.env["SECONDROUND_STATE_URL"] = machines.state_url
            self.env.update(bucket.CREDENTIALS)
            self.bucket_url = f"http://127.0.0.1:{free_port()}"

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

    def _run(self, *args: str, module: str = "prefect") -> None:
        subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=PROJECT_DIR,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=180,
        )

    def start(self) -> LocalStack:
        self.home.mkdir(parents=True, exist_ok=True)
        write_test_ca(self.tls)  # before any process that reads PREFECT_API_SSL_CERT_FILE
        # `prefect server start` with a short Retry-After on 503s (sandbox/prefect_server.py)
        server = self._python("-m", "sandbox.prefect_server", "--port", str(self.port), log="server.log")
        self.start_peers()
        wait_ready(
            server, http_ok(f"{self.api_url}/health"), what="Prefect server", log=self._log("server"), timeout=90
        )
        self._run("work-pool", "create", "secondround", "--type", "process", "--overwrite")
        if self.capped:
            self._cap_pool()
        self._run("--no-prompt", "deploy", "--all")
        # here runs start when a test or the demo says so: the quarter-hourly monitor would
        # otherwise wake up in the middle of a test and email about its deliberate crashes
        self._run("--no-prompt", "deployment", "schedule", "pause", "--all")
        if not self.takeover:  # and a test's deliberate crash is the test's to mend (test_crash, test_rerun)
            self._run("automation", "pause", TAKEOVER)
        self._run("heal", "install", module="flows.ops.cli")  # runs whose heartbeat stops are crashed
        if self.machines:
            self._start_bucket()
        self.start_workers()
        return self

    def _cap_pool(self) -> None:
        """On SQLite the pool runs at most what SQLite holds; more asked for wait their turn."""
        self._run("work-pool", "set-concurrency-limit", "secondround", str(SQLITE_FLOW_RUNS))
        if self.worker_limit * self.workers > SQLITE_FLOW_RUNS:
            log.warning(
                "Prefect on SQLite holds %d flow runs at once here (docs/benchmarks.md): the pool is capped there"
                " and the other runs of the %d asked for wait their turn; use PostgreSQL for more",
                SQLITE_FLOW_RUNS,
                self.worker_limit * self.workers,
            )

    def _start_bucket(self) -> None:
        """The shared results bucket, and every run of the pool pointed at it."""
        port = int(self.bucket_url.rsplit(":", 1)[1])
        server = self._python(*bucket.server_args(port), log="bucket.log")
        wait_ready(server, http_ok(f"{self.bucket_url}/moto-api/data.json"), what="S3 bucket", log=self._log("bucket"))
        address = bucket.make_bucket(self.bucket_url)
        self._run("results", "install", address, "--endpoint-url", self.bucket_url, module="flows.ops.cli")

    def machine_env(self, n: int) -> dict[str, str]:
        """Worker ``n``'s marks: its machine (every flow process it starts inherits it) and,
        across machines, its own disk: state folder and local results (none shared by accident)."""
        mark = {machines.MARK: self.machine_mark(n)}
        if not self.machines:
            return mark
        disk = self.home / f"machine-{n + 1}"
        return mark | {
            "SECONDROUND_STATE_DIR": str(disk / "state"),
            "PREFECT_LOCAL_STORAGE_PATH": str(disk / "results"),
        }

    def machine_mark(self, n: int) -> str:
        return machines.mark(self.home, n)

    def stop(self) -> None:
        """Everything it started, then any flow process left (one outlived its worker's stop,
        retrying the server that had gone)."""
        super().stop()
        for n in range(self.workers):
            machines.kill(machines.processes(self.machine_mark(n)))

    def start_workers(self) -> None:
        for n in range(self.workers):
            self.start_worker(n)

    def start_worker(self, n: int) -> None:
        # six flow processes at once: on two cores twelve spent their time starting Python and
        # kept SQLite's writer busy long enough for 503s and minutes of client back-off
        log = "worker.log" if n == 0 else f"worker-{n + 1}.log"
        limit = str(self.worker_limit)
        self.worker_procs[n] = self._python(
            "-m", "prefect", "worker", "start", "--pool", "secondround", "--limit", limit,
            log=log, env=self.machine_env(n),
        )  # fmt: skip

    def start_web_replica(self) -> str:
        """Another replica of ``web/`` (sharing the inbox through ``SECONDROUND_STATE_URL``); its URL."""
        port = free_port()
        web = self._python(
            "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            log=f"web-{port}.log",
        )  # fmt: skip
        wait_ready(web, http_ok(f"http://127.0.0.1:{port}/health"), what="web replica", log=self._log(f"web-{port}"))
        return f"http://127.0.0.1:{port}"

    def kill_workers(self) -> None:
        """SIGKILL every worker, as a lost machine would: its flow runs (their own process
        groups) live on until killed too, and nobody tells the server."""
        for n in list(self.worker_procs):
            self.kill_worker(n)

    def kill_worker(self, n: int) -> None:
        worker = self.worker_procs.pop(n)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()

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
