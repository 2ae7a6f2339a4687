"""Delivering the inbox: each stored reply to the run that waits for it, exactly once.

A reply is in the inbox (``web/inbox.py``) before anyone is told "thank you"; this loop then
stores it on her run under a key derived from the inbox key (a second delivery stores nothing
new) and resumes the run (``flows.replies.deliver_reply``). If Prefect is unreachable the reply
stays pending and is tried again every few seconds, also after a restart of the service: nothing
is lost. A run that has decided already gets nothing: the reply is marked ``late``.

Events (on the candidate): ``secondround.reply.delivered``, ``secondround.reply.late`` (``web/late.py``,
which also puts a late answer on the round's table).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import httpx
from prefect.events import emit_event

from config.errors import NoWaitingRunError
from flows.replies import deliver_reply
from tasks.effects import candidate_resource
from tasks.optouts import record_opt_out
from web.inbox import Inbox, Stored
from web.late import shown_to_recruiter

log = logging.getLogger("web.delivery")
RETRY_SECONDS = 3.0


class Deliverer:
    def __init__(self, inbox: Inbox, *, patience: float = 120.0) -> None:
        self.inbox = inbox
        self.patience = patience
        self.wake = asyncio.Event()
        self.busy: dict[str, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Until cancelled: pick up pending replies now and then, and at once when told."""
        while True:
            for phone in await self.inbox.unmirrored_opt_outs():
                try:
                    await record_opt_out(phone)
                except (httpx.HTTPError, OSError) as error:
                    log.warning("opt-out not mirrored yet (%s); trying again", error)
                else:
                    await self.inbox.mirrored(phone)
            for stored in await self.inbox.pending():
                if stored.key not in self.busy:
                    self.busy[stored.key] = asyncio.create_task(self._deliver(stored))
            self.wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), RETRY_SECONDS)

    async def stop(self) -> None:
        for task in self.busy.values():
            task.cancel()
        await asyncio.gather(*self.busy.values(), return_exceptions=True)

    async def _deliver(self, stored: Stored) -> None:
        try:
            run_id = await deliver_reply(
                stored.round_id, stored.candidate_id, stored.reply, patience=self.patience, key=stored.key
            )
        except NoWaitingRunError as error:
            await self.inbox.settle(stored.key, state="late", run_id=None, detail=str(error))
            await shown_to_recruiter(stored, detail=str(error))
        except (httpx.HTTPError, OSError, RuntimeError) as error:
            log.warning("reply %s not delivered yet (%s); trying again", stored.key, error)
        else:
            await self.inbox.settle(stored.key, state="delivered", run_id=run_id, detail="")
            self._event("delivered", stored, run_id=run_id)
        finally:
            self.busy.pop(stored.key, None)

    @staticmethod
    def _event(what: str, stored: Stored, **payload: str) -> None:
        with suppress(Exception):  # an event is for the feed; the inbox row is the record
            emit_event(
                event=f"secondround.reply.{what}",
                resource={"prefect.resource.id": candidate_resource(stored.round_id, stored.candidate_id)},
                payload={
                    "decision": stored.reply.decision.value,
                    "channel": stored.reply.channel.value,
                    "key": stored.key,
                    **payload,
                },
            )
