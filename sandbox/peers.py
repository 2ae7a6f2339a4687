"""The sandbox calendars, backed by the ledger (CalDAV replaces them with issue 5).

Like real calendars they refuse an overlapping hold and treat the same UID twice as one hold.
"""

from __future__ import annotations

from datetime import datetime

from config.settings import Settings
from sandbox.ledger import Hold, Ledger


class SandboxPeers:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ledger = Ledger(settings.sandbox_dir)

    def busy(self, calendar: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        return [
            (h.start, h.end)
            for h in self.ledger.holds(calendar=calendar)
            if h.status != "cancelled" and h.start < end and h.end > start
        ]

    def hold(
        self, uid: str, *, calendar: str, round_id: str, candidate_id: str, start: datetime, end: datetime
    ) -> Hold:
        return self.ledger.hold(
            uid, calendar=calendar, round_id=round_id, candidate_id=candidate_id, start=start, end=end
        )

    def set_status(self, uid: str, status: str) -> None:
        self.ledger.set_status(uid, status)
