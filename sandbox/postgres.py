"""A throwaway PostgreSQL server for the scale-out configuration: Prefect's database when one
machine's SQLite is not enough (its single writer turns concurrent runs into 503s).

Debian's ``postgresql`` package (``make postgres`` installs it); the cluster lives in a folder
of its own, listens on a free loopback port and trusts local connections. Used by the tests
and the benchmark; for production, point ``PREFECT_API_DATABASE_CONNECTION_URL`` at yours.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from sandbox.peers import free_port


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])  # the newest major version installed
    on_path = shutil.which(name)
    if on_path is None:
        raise RuntimeError(f"PostgreSQL's {name} is missing: make postgres (Debian: apt-get install postgresql)")
    return on_path


class Postgres:
    def __init__(self, home: Path) -> None:
        # as root the cluster belongs to the postgres user, who may not enter a private folder
        # (pytest's are 0700): it then lives in a temporary folder of its own
        self.home = Path(tempfile.mkdtemp(prefix="secondround-postgres-")) if os.geteuid() == 0 else home
        self.data = self.home / "data"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/prefect"

    def _as_owner(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: as root, run it as the package's postgres user
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()[-800:]}")

    def start(self) -> Postgres:
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.home, user="postgres")
        self._as_owner(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c max_connections=300"
        self._as_owner(
            _bin("pg_ctl"), "-D", str(self.data), "-l", str(self.home / "postgres.log"), "-o", options, "-w", "start"
        )
        self._as_owner(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "prefect")
        return self

    def database(self, name: str) -> str:
        """Another database on this server (our shared state beside Prefect's); its URL."""
        self._as_owner(_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_owner(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        if os.geteuid() == 0:
            shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Postgres:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
