"""Delivering a reply to the run that waits for it: the one door for links, SMS, calls and tests.

A reply is first stored on her active run as a flow-run input (``inbox-...``), durably on the
Prefect server, and only then used to resume the run. The resume can lose a race: her deadline
may resume the run at the same moment, and Prefect then keeps whichever input was written last.
The inbox makes that harmless: when a wait ends with "no reply", ``record-reply`` looks in the
inbox and a stored answer wins. A run that has decided is never resumed: a late reply raises
``NoWaitingRunError``, for the caller to record and answer politely.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from uuid import UUID, uuid4

import httpx
from prefect import get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import FlowRun
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import NotPausedError, PrefectHTTPStatusError

from config.errors import NoWaitingRunError
from flows.deployments import candidate_tag, phone_tag
from flows.models import CallbackRequest, Decision, Offer, Outcome, Reply, Slot, Wait
from flows.ops.dashboard import read_row
from tasks.claims import DEAD
from tasks.run_inputs import inputs_with_prefix, resume_waiting

INBOX = "inbox-"
SLOT = "slot"  # her held slot; "slot-move1" once she picked another time
OFFER = "offer-"  # the times offered to her, by the pause key of the wait for her pick


async def candidate_runs(round_id: str, candidate_id: str) -> list[FlowRun]:
    return await _runs_tagged(candidate_tag(round_id, candidate_id))


async def _runs_tagged(tag: str) -> list[FlowRun]:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[tag])),
            sort=FlowRunSort.START_TIME_DESC,
            limit=50,
        )


@dataclass(frozen=True)
class Standing:
    """Where a candidate stands, for her page: her run's request, its slot, whether it waits,
    and once it has decided, how (from her row on the round's table; None if it is not there)."""

    request: CallbackRequest
    slot: Slot | None
    run: FlowRun
    outcome: Outcome | None = None
    offer: tuple[Slot, ...] = ()  # the times she may pick from, while her run waits for her pick

    @property
    def decided(self) -> bool:
        return self.run.state is not None and self.run.state.is_final()

    @property
    def pause_key(self) -> str:
        state = self.run.state
        return (state.state_details.pause_key or "") if state is not None and state.is_paused() else ""


async def standing(round_id: str, candidate_id: str) -> Standing | None:
    """Her run that is still going (her second chance, just created), else her newest, with its
    request and held slot; None if she has no run."""
    runs = await candidate_runs(round_id, candidate_id)
    active = [r for r in runs if r.state is not None and not r.state.is_final()]
    return await _standing((active or runs)[0]) if runs else None


async def standing_by_phone(phone: str) -> Standing | None:
    """The candidate texting or calling from ``phone``: her active run first, else her newest."""
    runs = await _runs_tagged(phone_tag(phone))
    active = [r for r in runs if r.state is not None and not r.state.is_final()]
    return await _standing((active or runs)[0]) if runs else None


async def _standing(run: FlowRun) -> Standing:
    request = CallbackRequest.model_validate(run.parameters["request"])
    offer_key = f"{OFFER}{run.state.state_details.pause_key}" if waits_for(run, Wait.choice) and run.state else ""
    async with get_client() as client:
        slots = await client.filter_flow_run_input(run.id, key_prefix=SLOT, limit=10, exclude_keys=set())
        offers = (
            await client.filter_flow_run_input(run.id, key_prefix=offer_key, limit=5, exclude_keys=set())
            if offer_key
            else []
        )
    newest = max(slots, key=lambda item: item.key, default=None)  # "slot" < "slot-move1" < "slot-move2"
    offer = next((Offer.model_validate_json(o.value) for o in offers if o.key == offer_key), None)
    outcome = None
    if run.state is not None and run.state.is_final():
        row = await read_row(request.round.id, request.candidate.id)
        outcome = Outcome(row.outcome) if row is not None and row.outcome else None
    slot = Slot.model_validate_json(newest.value) if newest is not None else None
    return Standing(request=request, slot=slot, run=run, outcome=outcome, offer=tuple(offer.slots if offer else ()))


async def store_on_run(client: PrefectClient, run_id: UUID, key: str, value: str) -> bool:
    """Store a flow-run input once: False when ``key`` was stored before (a replay, a retried
    delivery, a second run of the round), which Prefect answers with 409."""
    try:
        await client.create_flow_run_input(run_id, key=key, value=value)
    except httpx.HTTPStatusError as error:
        if error.response.status_code != 409:
            raise
        return False
    return True


async def share_slot(run_id: str, slot: Slot, *, move: int = 0) -> None:
    """Put her held slot where the inbound service finds it for her page; once (replays find it)."""
    async with get_client() as client:
        await store_on_run(client, UUID(run_id), SLOT + (f"-move{move}" if move else ""), slot.model_dump_json())


def waits_for(run: FlowRun, what: Wait) -> bool:
    """Whether her run is suspended at a wait of ``what``."""
    state = run.state
    return state is not None and state.is_paused() and Wait.of(state.state_details.pause_key) is what


def _waits_for_this(run: FlowRun, reply: Reply) -> bool:
    """Whether her run waits for ``reply``: her answer to the invitation, a pick of times offered,
    or a change of plan (``Reply.answers_wait``)."""
    state = run.state
    return state is not None and state.is_paused() and reply.answers_wait(state.state_details.pause_key or "")


def waits_for_reply(run: FlowRun) -> bool:
    """Whether her run is suspended at a reply wait (not at her call window)."""
    return waits_for(run, Wait.reply)


async def _active_run(round_id: str, candidate_id: str) -> FlowRun:
    """Her run that is alive; else her newest run if it died undecided (crashed, failed,
    cancelled): the reply is stored on it and the run that takes over reads it from there."""
    runs = await candidate_runs(round_id, candidate_id)
    active = next((r for r in runs if r.state is not None and not r.state.is_final()), None)
    if active is None and runs and runs[0].state is not None and runs[0].state.type in DEAD:
        return runs[0]
    if active is None:
        decided = ", ".join(sorted({str(r.state.name) for r in runs if r.state})) or "never started"
        raise NoWaitingRunError(f"{candidate_id} in {round_id} is not waiting for a reply ({decided})")
    return active


async def deliver_reply(
    round_id: str, candidate_id: str, reply: Reply, *, patience: float = 60.0, key: str | None = None
) -> str:
    """Store ``reply`` on her active run, then resume it at its next wait; returns the run id.
    With ``key`` (the inbound service's), delivering the same reply twice stores it once."""
    if reply.decision is Decision.no_reply:
        raise ValueError("only a decision is delivered; 'no reply' is the deadline's")
    run = await _active_run(round_id, candidate_id)
    name = hashlib.sha256(key.encode()).hexdigest()[:32] if key else uuid4().hex
    async with get_client() as client:
        await store_on_run(client, run.id, f"{INBOX}{name}", reply.model_dump_json())  # once per delivery key
        give_up = time.monotonic() + patience
        while time.monotonic() < give_up:
            run = await client.read_flow_run(run.id)
            if run.state is not None and run.state.is_final():
                return str(run.id)  # it decided meanwhile: from this reply (inbox) or another
            if _waits_for_this(run, reply):
                try:  # a panel's report resumes its wait with the report itself (its resume form)
                    await resume_waiting(run.id, reply.report or reply)
                    return str(run.id)
                except (NotPausedError, RuntimeError, PrefectHTTPStatusError):
                    pass  # resumed by someone else first (the deadline): the inbox keeps the answer
            await asyncio.sleep(0.5)
    return str(run.id)  # stored: the run will find it when its wait ends


async def inbox(flow_run_id: UUID) -> list[Reply]:
    """Replies stored on a run, oldest first."""
    stored = await inputs_with_prefix(INBOX, run_id=flow_run_id)  # and what reached her runs that died
    return [Reply.model_validate_json(value) for _, value in stored]
