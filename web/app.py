"""The inbound service: ``uvicorn web.app:app`` (the sandbox stack starts it for the demo and tests).

Routes: ``/r/<token>`` (her page, ``web/pages.py``), ``/twilio/...`` (webhooks, signed by
Twilio: our calls' callbacks ``web/calls.py``, her texts ``web/sms.py``, her calls
``web/voice.py``), ``/recruiter/replies`` (``web/recruiter.py``), ``/recruiter/calls/<token>``
(``web/recruiter_form.py``), ``/panel/reports/<token>`` (``web/reporting.py``), ``/health``.
Every reply goes to the durable inbox first; a background task delivers it (``web/delivery.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from config.settings import get_settings
from web.calls import router as calls_router
from web.delivery import Deliverer
from web.inbox import Inbox
from web.pages import router as pages_router
from web.recruiter import router as recruiter_router
from web.recruiter_form import router as recruiter_form_router
from web.reporting import router as reporting_router
from web.sms import router as sms_router
from web.voice import router as voice_router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.inbox = Inbox(settings.state_dir / "web" / "inbox.sqlite", url=settings.state_url)
    app.state.deliverer = Deliverer(app.state.inbox)
    loop = asyncio.create_task(app.state.deliverer.run())
    try:
        yield
    finally:
        loop.cancel()
        await app.state.deliverer.stop()


app = FastAPI(
    title="secondround inbound",
    description="Replies from candidates, Twilio and recruiters, stored, then turned into resumes.",
    lifespan=lifespan,
)
app.include_router(pages_router)
app.include_router(calls_router)
app.include_router(sms_router)
app.include_router(voice_router)
app.include_router(recruiter_router)
app.include_router(recruiter_form_router)
app.include_router(reporting_router)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
