"""When we may ring her: her free times, 08:00-21:00 her time, across DST. No Prefect, no I/O."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from config.calling import WorkingHours
from config.fields import Interval
from flows.planning.windows import next_call_time, next_waking_time, outside, overlap

LONDON, TOKYO = ZoneInfo("Europe/London"), ZoneInfo("Asia/Tokyo")
HOURS = {"earliest": time(8), "latest": time(21)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)  # type: ignore[misc,arg-type]


def window(start: datetime, end: datetime) -> Interval:
    return Interval(start=start, end=end)


def test_inside_her_hours_is_now() -> None:
    now = utc(2026, 12, 1, 12, 0)
    assert next_call_time(now, [window(utc(2026, 12, 1), utc(2026, 12, 5))], "Europe/London", **HOURS) == now


def test_late_evening_waits_for_eight_next_morning_her_time() -> None:
    now = utc(2026, 12, 1, 13, 0)  # 22:00 in Tokyo
    at = next_call_time(now, [window(utc(2026, 11, 30), utc(2026, 12, 5))], "Asia/Tokyo", **HOURS)
    assert at is not None and at.astimezone(TOKYO) == datetime(2026, 12, 2, 8, 0, tzinfo=TOKYO)


def test_eight_oclock_follows_the_clock_change() -> None:
    # London moves to BST on 29 March 2026: 08:00 is 08:00Z the day before, 07:00Z that morning
    before = next_call_time(utc(2026, 3, 28, 3), [window(utc(2026, 3, 27), utc(2026, 4, 2))], "Europe/London", **HOURS)
    after = next_call_time(utc(2026, 3, 29, 3), [window(utc(2026, 3, 27), utc(2026, 4, 2))], "Europe/London", **HOURS)
    assert (before, after) == (utc(2026, 3, 28, 8), utc(2026, 3, 29, 7))


def test_a_later_free_time_is_used_when_today_is_over() -> None:
    windows = [window(utc(2026, 12, 1, 9), utc(2026, 12, 1, 10)), window(utc(2026, 12, 3, 17), utc(2026, 12, 3, 19))]
    assert next_call_time(utc(2026, 12, 1, 11), windows, "Europe/London", **HOURS) == utc(2026, 12, 3, 17)


def test_a_free_time_entirely_at_night_is_skipped() -> None:
    windows = [window(utc(2026, 12, 1, 22), utc(2026, 12, 2, 6)), window(utc(2026, 12, 4, 9), utc(2026, 12, 4, 10))]
    assert next_call_time(utc(2026, 12, 1, 12), windows, "Europe/London", **HOURS) == utc(2026, 12, 4, 9)


def test_nothing_when_her_call_times_are_over() -> None:
    assert (
        next_call_time(utc(2026, 12, 9), [window(utc(2026, 12, 1), utc(2026, 12, 5))], "Europe/London", **HOURS) is None
    )


def test_a_text_waits_for_her_morning_and_goes_at_once_by_day() -> None:
    late = utc(2026, 12, 1, 22)  # 22:00 in London
    assert next_waking_time(late, "Europe/London", **HOURS) == utc(2026, 12, 2, 8)
    assert next_waking_time(utc(2026, 12, 1, 12), "Europe/London", **HOURS) == utc(2026, 12, 1, 12)
    assert next_waking_time(late, "Asia/Tokyo", earliest=time(9), latest=time(20)) == utc(2026, 12, 2, 0)


def test_the_recruiters_working_hours_follow_the_recruiters_clock() -> None:
    hours = WorkingHours(days=["mon", "tue"], start=time(9), end=time(17), time_zone="America/New_York")
    spans = hours.spans(utc(2026, 12, 7, 0), utc(2026, 12, 10, 0), zone_name="Europe/London")  # Mon..Wed
    assert [(s.start, s.end) for s in spans] == [
        (utc(2026, 12, 7, 14), utc(2026, 12, 7, 22)),
        (utc(2026, 12, 8, 14), utc(2026, 12, 8, 22)),
    ]


def test_her_call_times_within_the_recruiters_hours_and_outside_the_meetings() -> None:
    hers = [window(utc(2026, 12, 7, 8), utc(2026, 12, 7, 20))]
    recruiter = [window(utc(2026, 12, 7, 9), utc(2026, 12, 7, 17))]
    busy = [(utc(2026, 12, 7, 9), utc(2026, 12, 7, 10)), (utc(2026, 12, 7, 12), utc(2026, 12, 7, 13))]
    free = outside(overlap(hers, recruiter), busy)
    assert [(w.start.hour, w.end.hour) for w in free] == [(10, 12), (13, 17)]
    at = next_call_time(utc(2026, 12, 7, 9, 30), free, "Europe/London", **HOURS)
    assert at == utc(2026, 12, 7, 10)
    assert outside(free, [(utc(2026, 12, 7, 0), utc(2026, 12, 8, 0))]) == []
