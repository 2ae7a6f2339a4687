"""The inbound service: ``uvicorn web.app:app`` (the sandbox stack starts it for the demo and tests)."""

from __future__ import annotations

from fastapi import FastAPI

from web.twilio import router as twilio_router

app = FastAPI(title="secondround inbound", description="Replies from candidates and Twilio, turned into resumes.")
app.include_router(twilio_router)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
