"""The recruiter's form in a real browser (Debian's chromium via Playwright): axe-core finds no
accessibility violation, on a phone-sized screen, with the call guide and with a recorded call."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from config.round import HiringRound
from flows.messages.context import context
from flows.models import Decision, Reply, ReplyChannel, Slot
from sandbox.rounds import example_data
from tests.flows.test_page_browser import CHROMIUM, FLAGS, violations
from web.inbox import Stored
from web.signed import _ENV


def rendered(*, recorded: bool) -> str:
    round_ = HiringRound.model_validate(example_data())
    start = datetime(2026, 12, 8, 9, tzinfo=timezone.utc)
    slot = Slot(start=start, end=start.replace(hour=15), room_id="fleet")
    ctx = context(round_.details, round_.candidates[0], slot, attempt=1)
    reply = Reply(decision=Decision.confirm, channel=ReplyChannel.recruiter, enthusiasm=4, professionalism=5)
    first = Stored("k", round_.id, "alice-moreau", reply, start, "pending", None, "") if recorded else None
    return _ENV.get_template("recruiter_call.html").render(title="Your call", ctx=ctx, first=first, action="/x")


def test_the_recruiters_form_has_no_accessibility_violation() -> None:
    from playwright.async_api import async_playwright

    assert Path(CHROMIUM).exists(), "make browser installs Debian's chromium"

    async def check() -> list[list[dict[str, Any]]]:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            found = []
            for recorded in (False, True):
                await page.set_content(rendered(recorded=recorded))
                found.append(await violations(page))
            await browser.close()
            return found

    assert asyncio.run(check()) == [[], []]
