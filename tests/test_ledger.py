"""The sandbox ledger: a key is delivered once and repeats are counted (holds: tests/adapters/test_caldav.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sandbox.ledger import Ledger


def test_a_key_is_delivered_once_and_repeats_are_counted(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    args: dict[str, Any] = {
        "channel": "email",
        "round_id": "r",
        "candidate_id": "c",
        "attempt": 1,
        "recipient": "c@x.example",
        "body": {"subject": "hi"},
    }
    assert ledger.record("r.c.1.email", **args) is True
    assert ledger.record("r.c.1.email", **args) is False
    [effect] = ledger.effects(round_id="r")
    assert effect.tries == 2
