"""Driving candidate runs on the local stack the way operators and candidates do."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

import yaml
from prefect import get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
    LogFilterLevel,
)
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import LogSort
from prefect.deployments import arun_deployment

from config.loading import parse_round
from config.round import HiringRound
from flows.deployments import CALLBACK, candidate_tag, round_tag
from flows.models import CallbackRequest, CallbackResult, Reply, Slot
from flows.replies import candidate_runs, deliver_reply, waits_for_reply
from sandbox.ledger import Effect, Ledger
from sandbox.stack import LocalStack
from tasks.clients.caldav import caldav
from tasks.clients.reservations import Entry


class Harness:
    def __init__(self, stack: LocalStack, workdir: Path) -> None:
        self.stack = stack
        self.workdir = workdir
        self.behaviours = Path(stack.env["SECONDROUND_SANDBOX_BEHAVIOURS"])
        self.ledger = Ledger(Path(stack.env["SECONDROUND_STATE_DIR"]) / "sandbox")
        self.rounds: dict[str, HiringRound] = {}

    def script(self, phone: str, calls: list[str], *, otherwise: str | None = None) -> None:
        """How a sandbox phone answers each call (her attempts; the recruiter's rings)."""
        scripts = yaml.safe_load(self.behaviours.read_text()) if self.behaviours.exists() else {}
        scripts = scripts or {}
        scripts[phone] = {"calls": calls} | ({"otherwise": otherwise} if otherwise else {})
        self.behaviours.write_text(yaml.safe_dump(scripts))

    def round(self, data: dict[str, Any], calls: dict[str, list[str]]) -> HiringRound:
        round_ = parse_round(yaml.safe_dump(data))
        self.rounds[round_.id] = round_
        for candidate in round_.candidates:
            self.script(candidate.phone, calls.get(candidate.id, []))
        return round_

    def holds(self, round_id: str, candidate_id: str) -> list[str]:
        """STATUS of each of her events on the round's staff and room calendars (Radicale)."""
        round_, settings = self.rounds[round_id], self.stack.read_settings()
        base = settings.caldav_url.rstrip("/")
        urls = [f"{base}/staff-{s.id}/" for s in round_.staff] + [f"{base}/room-{r.id}/" for r in round_.rooms]
        first = datetime.combine(round_.plan.dates.start, datetime.min.time(), timezone.utc) - timedelta(days=2)
        last = datetime.combine(round_.plan.dates.end, datetime.min.time(), timezone.utc) + timedelta(days=2)

        async def read() -> list[str]:
            async with caldav(settings) as dav:
                found = [e for url in urls for e in await dav.events(url, first, last)]
            return [status for uid, status in found if uid.startswith(f"{round_id}.{candidate_id}.")]

        return asyncio.run(read())

    async def take(self, round_id: str, slot: Slot, *, by: str = "someone-else") -> None:
        """Hold ``slot`` on the lead interviewer's calendar the way another candidate's run does."""
        round_, settings = self.rounds[round_id], self.stack.read_settings()
        url = f"{settings.caldav_url.rstrip('/')}/staff-{round_.plan.panel[0]}/"
        entry = Entry(f"{round_id}.{by}.0.hold@{settings.mail_domain}", slot.start, slot.end)
        async with caldav(settings) as dav:
            await dav.hold(url, entry, summary=f"Hold: {round_.plan.title}", guard=round_.plan.buffer)

    async def start(
        self,
        round_: HiringRound,
        candidate_id: str,
        *,
        env: dict[str, str] | None = None,
        waitlist: tuple[str, ...] = (),
    ) -> UUID:
        """Her candidate-callback run; ``waitlist``: who is offered her slot if she lets it go."""
        candidate, behind = round_.candidate(candidate_id), [round_.candidate(w) for w in waitlist]
        request = CallbackRequest(round=round_.details, candidate=candidate, waitlist=behind)
        run = await arun_deployment(
            CALLBACK,
            parameters={"request": request.model_dump(mode="json")},
            timeout=0,
            as_subflow=False,
            tags=[round_tag(round_.id), candidate_tag(round_.id, candidate_id)],
            job_variables={"env": env} if env else None,
        )
        return run.id

    async def wait(
        self, run_ids: list[UUID], *, until: Callable[[FlowRun], bool] | None = None, timeout: float = 240
    ) -> dict[UUID, FlowRun]:
        def reached(run: FlowRun) -> bool:
            return until(run) if until else bool(run.state and run.state.is_final())

        deadline = time.monotonic() + timeout
        async with get_client() as client:
            while True:
                found = await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))
                runs = {r.id: r for r in found}  # one request per look: SQLite is busy enough
                if all(reached(r) for r in runs.values()):
                    return runs
                # a run that ended elsewhere will never get there: say so now, with its story
                lost = [r for r in runs.values() if not reached(r) and r.state and r.state.is_final()]
                if lost or time.monotonic() > deadline:
                    stuck = lost or [r for r in runs.values() if not reached(r)]
                    stories = [await self._story(client, r) for r in stuck]
                    raise TimeoutError(f"runs did not get there in {timeout:.0f} s:\n" + "\n".join(stories))
                await asyncio.sleep(2)

    @staticmethod
    async def _story(client: PrefectClient, run: FlowRun) -> str:
        """A run's state, its message and its last warnings and errors, for a failing test's report."""
        logs = await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]), level=LogFilterLevel(ge_=30)),
            limit=8,
            sort=LogSort.TIMESTAMP_DESC,
        )
        state = f"{run.state.name}: {run.state.message}" if run.state else "no state"
        return "\n  ".join([f"{run.name} ({run.id}) {state}", *(log.message[-600:] for log in reversed(logs))])

    async def result(self, run_id: UUID) -> CallbackResult:
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
        assert run.state is not None and run.state.is_completed(), run.state
        value = await run.state.aresult()
        assert isinstance(value, CallbackResult)
        return value

    @staticmethod
    async def waiting(round_id: str, candidate_id: str, *, patience: float = 300.0) -> UUID:
        """Her run, once it waits for her reply (it was called, emailed and suspended)."""
        give_up = time.monotonic() + patience
        while time.monotonic() < give_up:
            runs = await candidate_runs(round_id, candidate_id)
            run = next((r for r in runs if r.state and not r.state.is_final()), None)
            if run and waits_for_reply(run):
                return run.id
            await asyncio.sleep(1.5)
        raise TimeoutError(f"{candidate_id} never waited for a reply in {patience:.0f} s")

    async def reply_when_waiting(self, round_id: str, candidate_id: str, reply: Reply) -> str:
        """Reply the way a candidate does: after she was contacted, while her run waits for it
        (a reply stored earlier would be read before the call and make it pointless)."""
        await self.waiting(round_id, candidate_id)
        return await deliver_reply(round_id, candidate_id, reply, patience=300)

    def effects(self, round_id: str, candidate_id: str) -> list[Effect]:
        return self.ledger.effects(round_id=round_id, candidate_id=candidate_id)

    def links(self, round_id: str, candidate_id: str, *, attempt: int = 1) -> list[str]:
        """Her confirm, decline and another-time links, from the email of ``attempt``."""
        emails = [e for e in self.effects(round_id, candidate_id) if e.channel == "email" and e.attempt == attempt]
        return re.findall(r"(http://\S+/r/\S+)", emails[0].body["body"])

    def steps(self, round_id: str, candidate_id: str) -> list[str]:
        """What she (and staff) received, as ``attempt.step``, in order."""
        return [f"{e.attempt}.{e.key.split('.')[-1]}" for e in self.effects(round_id, candidate_id)]


def crashed(run: FlowRun) -> bool:
    return bool(run.state and run.state.is_crashed())
