"""Shared state on PostgreSQL (``SECONDROUND_STATE_URL``): what several machines must agree on,
each "machine" here a settings object with a state folder of its own, so nothing can be
shared through the disk by accident."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings
from flows.models import Decision, Reply, ReplyChannel
from flows.ops.cli import main
from sandbox import bucket
from sandbox.peers import free_port
from sandbox.postgres import Postgres
from tasks.clients.pacing import SharedPacer
from tasks.clients.shared_state import PostgresSql, dsn
from tasks.mail import Journal
from web.inbox import Inbox


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with Postgres(tmp_path_factory.mktemp("pg")) as server:
        yield server.url  # Prefect's form (postgresql+asyncpg://): accepted as it is


def machines(tmp_path: Path, url: str, count: int = 2) -> list[Settings]:
    return [Settings(state_dir=tmp_path / f"machine-{n}", state_url=url) for n in range(count)]


def test_the_url_prefect_uses_is_accepted() -> None:
    assert dsn("postgresql+asyncpg://u@h:5/db") == dsn("postgres://u@h:5/db") == "postgresql://u@h:5/db"


def test_a_message_one_machine_sent_is_known_to_the_other(tmp_path: Path, database: str) -> None:
    one, other = (Journal(s) for s in machines(tmp_path, database))

    async def play() -> tuple[bool, bool]:
        before = await other.has("<r.c.1.email@x>")
        await one.note("<r.c.1.email@x>")
        await one.note("<r.c.1.email@x>")  # a retry after the server accepted it: noted once
        return before, await other.has("<r.c.1.email@x>")

    assert asyncio.run(play()) == (False, True)
    assert not any((tmp_path / "machine-0").rglob("*"))  # nothing on either disk


def test_calls_are_paced_across_machines(tmp_path: Path, database: str) -> None:
    cps, per_machine = 20.0, 10
    pacers = [SharedPacer(database, name="pace-test", per_second=cps) for _ in range(4)]

    async def place(pacer: SharedPacer) -> list[float]:
        return [await pacer.wait_turn() for _ in range(per_machine)]

    async def play() -> list[float]:
        started = time.monotonic()
        slots = sorted(itertools.chain(*await asyncio.gather(*(place(p) for p in pacers))))
        assert time.monotonic() - started >= (len(slots) - 1) / cps * 0.95
        return slots

    slots = asyncio.run(play())
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1 / cps - 1e-6  # never faster than CPS, whoever reserved
    assert (len(slots) - 1) / (slots[-1] - slots[0]) >= 0.95 * cps  # and the rate is kept full


def test_two_replicas_of_the_inbox_share_every_reply(tmp_path: Path, database: str) -> None:
    one, other = (Inbox(tmp_path / f"replica-{n}.sqlite", url=database) for n in range(2))
    yes, no = (Reply(decision=d, channel=ReplyChannel.sms) for d in (Decision.confirm, Decision.decline))

    async def play() -> None:
        first = await one.add("sms:SM9", "shared", "ana", yes)
        again = await other.add("sms:SM9", "shared", "ana", no)  # Twilio's retry reached the other replica
        assert (first.new, again.new, again.reply.decision) == (True, False, Decision.confirm)
        await other.add("link:ana.2", "shared", "ana", no)
        assert [s.key for s in await one.pending() if s.round_id == "shared"] == ["sms:SM9", "link:ana.2"]
        decided = await other.first_decision("shared", "ana")
        assert decided is not None and decided.key == "sms:SM9"
        await one.settle("sms:SM9", state="delivered", run_id="run-1", detail="")
        assert [s.key for s in await other.pending() if s.round_id == "shared"] == ["link:ana.2"]
        await one.opt_out("+12125550199", "stop")
        await other.opt_out("+12125550199", "stop")
        assert await other.unmirrored_opt_outs() == ["+12125550199"]

    asyncio.run(play())
    assert not list(tmp_path.glob("*.sqlite"))


def test_the_schema_is_made_once_when_processes_start_together(database: str) -> None:
    schema = "create table if not exists started_together (n integer);"

    async def play() -> list[int]:
        engines = [PostgresSql(database, schema) for _ in range(8)]  # eight processes' first calls
        return list(await asyncio.gather(*(e.execute("insert into started_together values (?)", 1) for e in engines)))

    assert asyncio.run(play()) == [1] * 8


def test_a_bucket_that_cannot_be_written_is_named_before_anything_changes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in bucket.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["results", "install", "results-bucket"]) == 1
    assert "'results-bucket' is not a bucket: give s3://BUCKET/PREFIX" in capsys.readouterr().err
    nowhere = f"http://127.0.0.1:{free_port()}"  # no server: the probe fails, no block, no pool touched
    assert main(["results", "install", "s3://results/prefect", "--endpoint-url", nowhere]) == 1
    assert f"cannot write to s3://results/prefect ({nowhere})" in capsys.readouterr().err
