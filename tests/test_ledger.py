"""The sandbox peers: dedupe by key, and no overlapping holds even under concurrent writers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sandbox.ledger import HoldConflict, Ledger

T0 = datetime(2026, 12, 8, 9, tzinfo=timezone.utc)


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


def test_overlapping_holds_are_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.hold("a", calendar="room:x", round_id="r", candidate_id="a", start=T0, end=T0 + timedelta(hours=6))
    ledger.hold("a", calendar="room:x", round_id="r", candidate_id="a", start=T0, end=T0 + timedelta(hours=6))
    with pytest.raises(HoldConflict):  # 10:30 overlaps 09:00-15:00
        ledger.hold(
            "b",
            calendar="room:x",
            round_id="r",
            candidate_id="b",
            start=T0 + timedelta(minutes=90),
            end=T0 + timedelta(hours=7),
        )
    ledger.set_status("a", "cancelled")
    ledger.hold("b", calendar="room:x", round_id="r", candidate_id="b", start=T0, end=T0 + timedelta(hours=1))


def test_concurrent_overlapping_holds_book_once(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)

    def book(i: int) -> bool:
        try:
            ledger.hold(
                f"h{i}",
                calendar="room:x",
                round_id="r",
                candidate_id=f"c{i}",
                start=T0 + timedelta(minutes=15 * i),
                end=T0 + timedelta(hours=6),
            )
        except HoldConflict:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(book, range(16))) == 1
