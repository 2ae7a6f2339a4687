"""Her page in a real browser: Debian's chromium, headless, driven by Playwright (no download).

Open the link from her email, read the details, ask for another time, pick one of the times her
page then offers and press "Book this time": the run resumes and finishes confirmed on it.
axe-core (tools/axe) finds no accessibility violation on the page, before her answer, with the
times offered and after her pick, on a phone-sized screen.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from flows.models import Outcome, ReplyChannel
from sandbox.harness import Harness
from sandbox.rounds import candidate, interview_day, round_data

pytestmark = pytest.mark.stack
ROUND = "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [  # this machine has no network: keep chromium from trying Google's services at start
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def violations(page: Any) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in found]


async def offered(page: Any) -> None:
    """Reload her page until her run has read the calendars and offers her times."""
    for _ in range(120):
        if await page.get_by_role("button", name="Book this time").count():
            return
        await asyncio.sleep(0.5)
        await page.reload()
    raise TimeoutError("her page never offered other times")


@pytest.fixture(scope="module")
def browsed(harness: Harness) -> dict[str, Any]:
    assert Path(CHROMIUM).exists(), "make browser installs Debian's chromium"
    round_ = harness.round(round_data(ROUND, [candidate("pia", day=14, also=(15,))]), {"pia": ["no-answer"]})
    seen: dict[str, Any] = {}

    async def play() -> None:
        run_id = await harness.start(round_, "pia")
        await harness.waiting(ROUND, "pia")
        email = next(e for e in harness.effects(ROUND, "pia") if e.channel == "email" and e.attempt == 1)
        link = re.findall(r"(http://\S+/r/\S+)", email.body["body"])[0]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            seen["version"] = browser.version
            context = await browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
            page = await context.new_page()
            await page.goto(link)
            seen["heading"] = await page.locator("h1").inner_text()
            seen["details"] = await page.locator("dl").inner_text()
            seen["before"] = await violations(page)
            await page.get_by_role("button", name="Please suggest another time").click()
            await offered(page)
            seen["offer"] = await violations(page)
            await page.get_by_role("radio").first.check()
            await page.get_by_role("button", name="Book this time").click()
            await page.wait_for_load_state()
            seen["status"] = await page.get_by_role("status").inner_text()
            seen["after"] = await violations(page)
            seen["cookies"] = await context.cookies()
            await browser.close()
        await harness.wait([run_id], timeout=180)
        seen["result"] = await harness.result(run_id)

    asyncio.run(play())
    return seen


def test_she_reads_the_details_picks_another_time_and_the_run_finishes(browsed: dict[str, Any]) -> None:
    assert browsed["heading"].startswith("Second interview")
    for label in ("When", "How long", "Where", "Directions", "What to expect", "Dress", "Bring"):
        assert label in browsed["details"]
    assert "we are booking" in browsed["status"]
    result = browsed["result"]
    assert (result.outcome, result.reply.channel) == (Outcome.confirmed, ReplyChannel.link)
    assert result.reply.chosen == result.slot and result.slot.start.date() == interview_day(15)
    assert browsed["cookies"] == []


def test_axe_finds_no_violation_before_or_after_her_answer(browsed: dict[str, Any]) -> None:
    assert browsed["before"] == [], browsed["before"]
    assert browsed["offer"] == [], browsed["offer"]
    assert browsed["after"] == [], browsed["after"]
