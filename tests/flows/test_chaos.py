"""Chaos: a machine lost at random moments, several times, and brought back; with no human
action every candidate reaches the decision her script means, nothing reaches her twice, no
calendar holds a time twice, and every reply she gives counts once.

Two configurations, each a stack of its own with the takeover automation on: the scale-out one
(PostgreSQL for Prefect and our state, the results bucket, two workers that each have a disk of
their own, two replicas of ``web/``) and the embedded default (SQLite, one worker)."""

from __future__ import annotations

import asyncio
import random

import pytest

from flows.models import Outcome
from sandbox.chaos import Report, chaos_stack, play, write_scripted
from sandbox.harness import Harness
from sandbox.rounds import Scripted, scripted

pytestmark = pytest.mark.stack


def _check(report: Report, script: Scripted, harness: Harness) -> None:
    assert report.outcomes == script.expected, (report.outcomes, report.kills)
    assert report.duplicates == [] and report.alerts == []
    held = {cid: harness.holds(script.round_id, cid) for cid in script.expected}
    confirmed = [held[c] for c, o in script.expected.items() if o is Outcome.confirmed]
    assert confirmed and all(h == ["CONFIRMED"] * len(confirmed[0]) for h in confirmed), held  # one per calendar
    for cid, outcome in script.expected.items():
        if outcome is not Outcome.confirmed:
            assert not {"TENTATIVE", "CONFIRMED"} & set(held[cid]), (cid, held[cid])
    assert len(report.kills) > 0 and all(k.processes >= 0 for k in report.kills)


def test_a_round_heals_across_machines_while_they_are_killed(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("chaos-scaled")
    script = scripted("chaos", 6)
    with chaos_stack(home, scale_out=True) as harness:
        path = write_scripted(harness, script, home)
        replicas = [harness.stack.web_url, harness.stack.start_web_replica()]
        report = asyncio.run(play(harness, path, script, kills=3, rng=random.Random(18), replicas=replicas))
        _check(report, script, harness)


def test_a_round_heals_on_the_embedded_default_while_its_worker_is_killed(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = tmp_path_factory.mktemp("chaos-embedded")
    script = scripted("chaos-one", 6)
    with chaos_stack(home, scale_out=False) as harness:  # one worker of six
        path = write_scripted(harness, script, home)
        report = asyncio.run(
            play(harness, path, script, kills=2, rng=random.Random(7), replicas=[harness.stack.web_url])
        )
        _check(report, script, harness)
