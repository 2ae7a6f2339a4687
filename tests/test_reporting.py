"""The panel's report form after her interview, on the inbound service alone (Prefect on a closed
port): it records one report per candidate and time she held, refuses changed, forged and expired
links and her own links, and a second report shows the first and changes nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient

from flows.day_report import Attendance
from flows.models import Wait
from tests.test_web import client, isolated, rows, token  # noqa: F401  (fixtures)
from web.app import app
from web.inbox import Inbox

REPORT = {
    "came": "late",
    "dressed": "yes",
    "brought": "no",
    "enthusiasm": "4",
    "professionalism": "5",
    "notes": "Twenty minutes late: the trains",
    "by": "Priya Raman",
}


def test_the_report_is_recorded_once_with_every_field(tmp_path: Path) -> None:
    link = f"/panel/reports/{token(choice='panel')}"
    with TestClient(app) as service:
        page = service.get(link)
        assert page.status_code == 200 and "Did she come?" in page.text and "Record the report" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        after = service.post(link, data=REPORT)
        assert after.status_code == 200 and "Recorded on" in after.text and "came late" in after.text
        again = service.post(link, data=REPORT | {"came": "no_show"})
        assert "came late" in again.text and "Record the report" not in again.text
    assert rows(tmp_path) == 1
    inbox = Inbox(tmp_path / "web" / "inbox.sqlite")
    stored = asyncio.run(inbox.get("panel-report:spring.ana:1"))
    assert stored is not None and stored.reply.report is not None
    report = stored.reply.report
    assert (report.came, report.dressed_as_asked, report.brought_as_asked) == (Attendance.late, True, False)
    assert (report.enthusiasm, report.professionalism, report.by) == (4, 5, "Priya Raman")
    assert report.notes == REPORT["notes"] and stored.reply.answers_wait(Wait.report.pause_key(1))
    assert not stored.reply.answers_wait(Wait.reply.pause_key(1)) and not stored.reply.answers_wait("day-1")
    # the panel's report is not her answer: her own page still offers her choices
    assert asyncio.run(inbox.first_decision("spring", "ana")) is None


def test_bad_expired_and_her_own_links_record_nothing(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    good = token(choice="panel")
    expired = token(choice="panel", expires=datetime.now(timezone.utc) - timedelta(minutes=1))
    for bad, status in ((good[:-1] + ("A" if good[-1] != "A" else "B"), 400), (expired, 410), (token(), 400)):
        for answer in (client.get(f"/panel/reports/{bad}"), client.post(f"/panel/reports/{bad}", data=REPORT)):
            assert answer.status_code == status and "Nothing was recorded" in answer.text
    assert client.get(f"/r/{good}").status_code == 400  # her page refuses the panel's link
    assert client.get(f"/recruiter/calls/{good}").status_code == 400
    assert rows(tmp_path) == 0


def test_a_wrong_value_gets_a_page_not_a_record(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    link = f"/panel/reports/{token(choice='panel')}"
    for wrong in ({"came": "maybe"}, {"enthusiasm": "9"}, {"dressed": "eh"}, {"professionalism": "x"}):
        answer = client.post(link, data=REPORT | wrong)
        assert answer.status_code == 422 and "scores from 1 to 5" in answer.text
    assert rows(tmp_path) == 0
