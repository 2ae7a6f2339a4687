"""A crashed candidate run heals without a person: the stuck-candidates check takes it over
(``flows/takeover.py``) from where it stopped, within her budget, and nothing is sent twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prefect.client.schemas.objects import FlowRun

from flows.models import CallbackResult, Decision, Reply, ReplyChannel
from flows.ops.status import callback_runs
from sandbox.harness import Harness, crashed
from sandbox.rounds import candidate, round_data
from tests.flows.test_operations import monitor

pytestmark = pytest.mark.stack


def test_a_crashed_run_is_taken_over_by_the_check_and_nothing_is_sent_twice(harness: Harness) -> None:
    """Her run dies just after her voicemail was left (Twilio took it, we recorded nothing); the
    check starts her fresh run from where it stopped instead of emailing the recruiter; she
    confirms, and the check after that finds nobody stuck (the crashed run is history)."""
    data = round_data("heal-over", [candidate("tia", day=11)])
    data["cadence"]["reply_window"] = "P30D"  # about 4 min here: her reply decides
    round_ = harness.round(data, {"tia": ["voicemail"]})
    confirm = Reply(decision=Decision.confirm, channel=ReplyChannel.link)

    async def play() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[FlowRun], CallbackResult]:
        dead = await harness.start(round_, "tia", env={"SECONDROUND_FAULT_CRASH_AT": "voicemail:after"})
        await harness.wait([dead], until=crashed, timeout=300)
        first = await monitor(round_ids=["heal-over"])
        await harness.reply_when_waiting("heal-over", "tia", confirm)
        runs = await callback_runs("heal-over")
        await harness.wait([r.id for r in runs if r.id != dead], timeout=300)
        result = await harness.result(next(r.id for r in runs if r.id != dead))
        return first, await monitor(round_ids=["heal-over"]), await callback_runs("heal-over"), result

    first, after, runs, result = asyncio.run(play())
    [found] = first
    assert found["reason"] == "crashed" and "taken over by run" in found["detail"] and "(1 of 3)" in found["detail"]
    assert after == []  # the crashed run is history once a newer one took over
    assert sorted("takeover" in r.tags for r in runs) == [False, True]
    assert [line.detail for line in result.timeline if line.step.startswith("took-over")] == [
        f"took over from run {next(r.id for r in runs if 'takeover' not in r.tags)}, which died undecided:"
        " nothing it did is done again"
    ]  # once, though her run was resumed (and replayed) after her reply
    effects = harness.effects("heal-over", "tia")
    assert [e.key.split(".")[-1] for e in effects if e.attempt == 1] == ["call", "voicemail", "email"]
    assert all(e.tries == 1 for e in effects) and not [e for e in effects if ".stuck-" in e.key]  # no alert: healed
    assert sum(1 for e in effects if e.key.endswith(".0.confirmation")) == 1
