"""Real peers for the adapter tests: the sandbox Twilio and the inbound web service, on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import SecretStr

from config.settings import Settings
from sandbox.stack import PROJECT_DIR, SANDBOX_ACCOUNT, SANDBOX_FROM, SANDBOX_TOKEN, free_port

SCRIPTS = {
    "+12025550101": {"calls": ["answer-confirm"]},
    "+12025550102": {"calls": ["answer-decline"]},
    "+12025550103": {"calls": ["answer-hangup"]},
    "+12025550104": {"calls": ["voicemail"]},
    "+12025550105": {"calls": ["no-answer"]},
    "+12025550106": {"calls": ["busy"]},
    "+12025550107": {"calls": ["failed"]},
    "+12025550108": {"calls": ["slow-answer"]},
    "+12025550109": {"calls": ["lost-response"]},
    "+12025550110": {"calls": ["invalid-number"]},
    "+12025550111": {"calls": ["voicemail"]},
}


class Peers:
    def __init__(self, home: Path, *, cps: float) -> None:
        self.home = home
        self.twilio_url = f"http://127.0.0.1:{free_port()}"
        self.web_url = f"http://127.0.0.1:{free_port()}"
        behaviours = home / "behaviours.yaml"
        behaviours.write_text(yaml.safe_dump(SCRIPTS))
        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT_DIR),
            "SECONDROUND_STATE_DIR": str(home / "state"),
            "SECONDROUND_SANDBOX_BEHAVIOURS": str(behaviours),
            "SECONDROUND_TWILIO_API_BASE_URL": self.twilio_url,
            "SECONDROUND_TWILIO_ACCOUNT_SID": SANDBOX_ACCOUNT,
            "SECONDROUND_TWILIO_AUTH_TOKEN": SANDBOX_TOKEN,
            "SECONDROUND_TWILIO_FROM_NUMBER": SANDBOX_FROM,
            "SECONDROUND_TWILIO_CALLS_PER_SECOND": str(cps),
            "SECONDROUND_PUBLIC_BASE_URL": self.web_url,
        }
        self.settings = Settings(
            state_dir=home / "state",
            sandbox_behaviours=behaviours,
            twilio_api_base_url=self.twilio_url,
            twilio_account_sid=SANDBOX_ACCOUNT,
            twilio_auth_token=SecretStr(SANDBOX_TOKEN),
            twilio_from_number=SANDBOX_FROM,
            twilio_calls_per_second=cps,
            public_base_url=self.web_url,
            call_patience_seconds=30,
        )
        self.procs: list[subprocess.Popen[bytes]] = []

    def _start(self, *args: str, health: str, log: str) -> None:
        with (self.home / log).open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, *args], cwd=PROJECT_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        for _ in range(200):
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{args} did not start: {(self.home / log).read_text()}")

    def start(self) -> Peers:
        port = self.twilio_url.rsplit(":", 1)[1]
        self._start(
            "-m", "sandbox.twilio_api", "--port", port, health=f"{self.twilio_url}/sandbox/requests", log="t.log"
        )
        port = self.web_url.rsplit(":", 1)[1]
        self._start("-m", "uvicorn", "web.app:app", "--port", port, health=f"{self.web_url}/health", log="w.log")
        return self

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
            proc.wait(timeout=10)

    def requests(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = httpx.get(f"{self.twilio_url}/sandbox/requests").json()
        return answer


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    running = Peers(tmp_path_factory.mktemp("peers"), cps=1).start()
    yield running
    running.stop()
