"""Real peers on loopback for the adapter and contract tests: the sandbox Twilio, the SMTP sink and ``web/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from sandbox import peers as sandbox_peers

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


class Peers(sandbox_peers.Peers):
    """The sandbox Twilio, SMTP sink and web service, scripted for the adapter tests."""

    def __init__(self, home: Path, *, cps: float) -> None:
        behaviours = home / "behaviours.yaml"
        behaviours.write_text(yaml.safe_dump(SCRIPTS))
        super().__init__(home, behaviours=behaviours, calls_per_second=cps)
        self.settings = self.read_settings(call_patience_seconds=30)

    def start(self) -> Peers:
        self.start_peers()
        return self

    def requests(self) -> list[dict[str, Any]]:
        answer: list[dict[str, Any]] = httpx.get(f"{self.twilio_url}/sandbox/requests").json()
        return answer


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    running = Peers(tmp_path_factory.mktemp("peers"), cps=1).start()
    yield running
    running.stop()
