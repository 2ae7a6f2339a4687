"""The recruiter's form and the panel's report form in a real browser (Debian's chromium via
Playwright): axe-core finds no accessibility violation, on a phone-sized screen, blank and
once recorded."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from config.round import HiringRound
from flows.day_report import Attendance, DayReport
from flows.messages.context import context
from flows.models import Decision, Reply, ReplyChannel, Slot
from sandbox.rounds import example_data
from tests.flows.test_page_browser import CHROMIUM, FLAGS, violations
from web.inbox import Stored
from web.signed import _ENV


def rendered(template: str, *, recorded: bool) -> str:
    round_ = HiringRound.model_validate(example_data())
    start = datetime(2026, 12, 8, 9, tzinfo=timezone.utc)
    slot = Slot(start=start, end=start.replace(hour=15), room_id="fleet")
    ctx = context(round_.details, round_.candidates[0], slot, attempt=1)
    report = DayReport(came=Attendance.on_time, dressed_as_asked=True, by="Priya Raman")
    reply = Reply(decision=Decision.confirm, channel=ReplyChannel.recruiter, enthusiasm=4, professionalism=5)
    first = Stored("k", round_.id, "alice-moreau", reply, start, "pending", None, "") if recorded else None
    return _ENV.get_template(template).render(
        title="Your call", ctx=ctx, first=first, report=report if recorded else None, action="/x"
    )


def test_the_recruiters_and_the_panels_forms_have_no_accessibility_violation() -> None:
    from playwright.async_api import async_playwright

    assert Path(CHROMIUM).exists(), "make browser installs Debian's chromium"

    async def check() -> list[list[dict[str, Any]]]:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            found = []
            for template in ("recruiter_call.html", "panel_report.html"):
                for recorded in (False, True):
                    await page.set_content(rendered(template, recorded=recorded))
                    found.append(await violations(page))
            await browser.close()
            return found

    assert asyncio.run(check()) == [[], [], [], []]
