"""``make demo`` stopped by SIGTERM (``kill``, a service manager, make passing it on) stops
everything it started, as Ctrl-C does: the Prefect server, the worker and its flow runs, the
peers. Checked by what is still running with the demo's folder in its environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox.peers import PROJECT_DIR, free_port

pytestmark = pytest.mark.stack


def running_with(home: Path) -> list[int]:
    """Processes whose environment or command line names ``home``."""
    needle, found = str(home).encode(), []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "environ").read_bytes() or needle in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_sigterm_stops_the_demo_and_everything_it_started(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "sandbox.demo", "--home", str(home), "--port", str(free_port())],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        stopped_by_sigterm(demo, home)
    finally:  # never leave them behind, even when the test fails
        for pid in running_with(home):
            os.kill(pid, signal.SIGKILL)


def stopped_by_sigterm(demo: subprocess.Popen[bytes], home: Path) -> None:
    assert demo.stdout is not None
    seen = []
    for line in demo.stdout:  # until its candidates are running: server, worker, peers all up
        seen.append(line.decode())
        if "Sandbox Twilio:" in seen[-1] or demo.poll() is not None:
            break
    time.sleep(5)  # the round has started: flow processes are running too
    assert running_with(home), "".join(seen)
    demo.send_signal(signal.SIGTERM)
    rest = demo.communicate(timeout=120)[0].decode()
    assert demo.returncode == 130, rest
    assert "Stopped: everything the demo started is stopped." in rest
    deadline = time.monotonic() + 20
    while running_with(home) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert running_with(home) == []
