"""Times on the clock the reader needs: the venue's first and hers beside for an on-site
interview, hers first for a video call, for the eye and for the ear, across a daylight-saving
change in only one of the two zones. Pure: no Prefect, no server.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from config.round import HiringRound
from flows.messages import clock
from flows.messages.context import context
from flows.messages.invites import interview_invite
from flows.messages.render import render, render_email
from sandbox.rounds import example_data
from tests.test_messages import ALICE, ROUND, SLOT, instants, slot_for


def test_the_spoken_scripts_say_the_date_and_both_clocks_in_words() -> None:
    ctx = context(ROUND, ALICE, SLOT)
    when = "Tuesday the 8th of December 2026 at 9 a.m. London time, that is 4 a.m. in New York"
    assert when in render("call_script", ctx) and when in render("voicemail", ctx)
    assert "The day lasts about 6 hours" in render("voicemail", ctx)
    assert "Congratulations on your first interview" in render("voicemail", ctx)


@pytest.mark.parametrize(
    ("day", "hers"),
    [
        (datetime(2027, 3, 12), "04:00"),  # both on standard time: five hours apart
        (datetime(2027, 3, 16), "05:00"),  # New York on summer time since 14 March, London not yet
        (datetime(2027, 3, 30), "04:00"),  # both on summer time
        (datetime(2027, 11, 2), "05:00"),  # London back on winter time on 31 October, New York on 7 November
    ],
)
def test_both_clocks_hold_across_a_daylight_saving_change_in_only_one_zone(day: datetime, hers: str) -> None:
    start = day.replace(hour=9, tzinfo=ZoneInfo("Europe/London")).astimezone(timezone.utc)
    slot = slot_for(ROUND, start)
    text = render_email("confirmation", context(ROUND, ALICE, slot), to="a@b.example", to_name="A").text
    assert f"at 09:00 London time ({hers} in New York)" in text
    ics = interview_invite(ROUND, ALICE, slot, method="REQUEST", stamp=start, domain="northwind.example")
    assert instants(ics) == (slot.start, slot.end)
    event: Any = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event["dtstart"].params["TZID"] == "Europe/London"  # the venue's clock
    assert event["dtstart"].dt.replace(tzinfo=None) == day.replace(hour=9)
    assert f"at 09:00 London time ({hers} in New York)" in str(event["description"])


def test_a_video_call_puts_her_clock_first_and_the_organisers_beside() -> None:
    data = example_data()
    data["plan"] |= {"format": "video", "meeting_link": "https://meet.example/abc"}
    round_ = HiringRound.model_validate(data)
    ctx = context(round_, ALICE, SLOT)
    assert ctx.when == "Tuesday 08 December 2026 at 04:00 New York time (09:00 in London)"
    assert ctx.video and ctx.address == "https://meet.example/abc"
    assert "by video call" in render("call_script", ctx)
    ics = interview_invite(round_, ALICE, SLOT, method="REQUEST", stamp=SLOT.start, domain="northwind.example")
    assert "https://meet.example/abc" in str(Calendar.from_ical(ics).walk("VEVENT")[0]["location"])


def test_the_other_clock_names_its_own_date_when_it_is_another_day() -> None:
    late = datetime(2026, 12, 8, 23, 30, tzinfo=timezone.utc)
    assert clock.written(late, "Europe/London", "Asia/Tokyo") == (
        "Tuesday 08 December 2026 at 23:30 London time (Wednesday 09 December, 08:30 in Tokyo)"
    )
    assert clock.spoken(late, "Europe/London", "Asia/Tokyo").endswith("that is on Wednesday 8:30 a.m. in Tokyo")
    assert clock.written(late, "Europe/London", "Europe/London").endswith("at 23:30 London time")
    assert clock.spoken_number("+442079460100") == "plus 4 4 2, 0 7 9, 4 6 0, 1 0 0"
