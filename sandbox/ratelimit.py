"""The sandbox Twilio's calls-per-second limit, policed like Twilio's: a create above it gets 429."""

from __future__ import annotations

import time


class Bucket:
    """Calls per second policed like a network link (GCRA): one create per 1/rate seconds, with a
    jitter tolerance of a tenth of that, so a request that is a few milliseconds early because
    of scheduling is not punished, but two at once are."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.tolerance = self.interval / 10
        self.next_due = 0.0  # the theoretical arrival time of the next create

    def take(self) -> bool:
        now = time.monotonic()
        due = max(self.next_due, now)
        if due - now > self.tolerance:
            return False
        self.next_due = due + self.interval
        return True
