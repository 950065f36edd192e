"""reminder_next_run: weekday rules and DST gaps/folds, computed with zoneinfo."""

import datetime as dt

import pytest

from reminders.services import reminder_next_run

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def nxt(after, weekdays=range(7), at=dt.time(8, 0), tz="UTC", skip=()):
    return reminder_next_run(
        weekdays=list(weekdays), local_time=at, timezone=tz, after=after, skip_local_dates=skip
    )


# 2026-11-23 is a Monday.
@pytest.mark.parametrize(
    ("weekday", "expected_day"),
    [(0, 30), (1, 24), (2, 25), (3, 26), (4, 27), (5, 28), (6, 29)],
)
def test_each_weekday_rule_fires_on_its_own_day(weekday, expected_day):
    # Monday 23 Nov 2026 at 09:00 UTC: Monday's 08:00 has passed, so Monday means next week.
    result = nxt(utc(2026, 11, 23, 9, 0), weekdays=[weekday])
    assert result == utc(2026, 11, expected_day, 8, 0)
    assert result.weekday() == weekday


def test_later_today_fires_today_and_exactly_now_is_not_after():
    assert nxt(utc(2026, 11, 23, 7, 59), weekdays=[0]) == utc(2026, 11, 23, 8, 0)
    assert nxt(utc(2026, 11, 23, 8, 0), weekdays=[0]) == utc(2026, 11, 30, 8, 0)


def test_several_weekdays_pick_the_nearest():
    assert nxt(utc(2026, 11, 24, 9), weekdays=[0, 2, 4]) == utc(2026, 11, 25, 8, 0)
    assert nxt(utc(2026, 11, 27, 9), weekdays=[0, 2, 4]) == utc(2026, 11, 30, 8, 0)


def test_no_weekdays_means_no_run():
    assert nxt(utc(2026, 11, 23, 9), weekdays=[]) is None


def test_weekday_is_judged_in_the_schedules_zone_not_utc():
    # Monday 23:30 in Tokyo is Monday 14:30 UTC; Sunday 22:00 UTC is already Monday in Tokyo.
    result = nxt(utc(2026, 11, 22, 22, 0), weekdays=[0], at=dt.time(23, 30), tz="Asia/Tokyo")
    assert result == utc(2026, 11, 23, 14, 30)
    # Los Angeles Monday 20:00 is Tuesday 04:00 UTC.
    result = nxt(utc(2026, 11, 23, 9), weekdays=[0], at=dt.time(20, 0), tz="America/Los_Angeles")
    assert result == utc(2026, 11, 24, 4, 0)


def test_skip_local_dates_moves_to_the_next_matching_day():
    after = utc(2026, 11, 23, 6)
    assert nxt(after, weekdays=[0, 1], skip={dt.date(2026, 11, 23)}) == utc(2026, 11, 24, 8)


# --- Europe/London: spring forward 2026-03-29 01:00 GMT -> 02:00 BST; fall back
#     2026-10-25 02:00 BST -> 01:00 GMT.


def test_london_gap_time_fires_at_the_transition():
    # 01:30 does not exist on 29 March: the first valid instant after it is 02:00 BST.
    result = nxt(utc(2026, 3, 28, 12), weekdays=[6], at=dt.time(1, 30), tz="Europe/London")
    assert result == utc(2026, 3, 29, 1, 0)
    assert result.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London")).hour == 2
    # ...and the week after, 01:30 exists again (BST, 00:30 UTC).
    assert nxt(result, weekdays=[6], at=dt.time(1, 30), tz="Europe/London") == utc(
        2026, 4, 5, 0, 30
    )


def test_london_gap_start_boundary_and_normal_times_that_day():
    london = "Europe/London"
    assert nxt(utc(2026, 3, 28, 12), weekdays=[6], at=dt.time(1, 0), tz=london) == utc(
        2026, 3, 29, 1, 0
    )
    assert nxt(utc(2026, 3, 28, 12), weekdays=[6], at=dt.time(2, 0), tz=london) == utc(
        2026, 3, 29, 1, 0
    )
    assert nxt(utc(2026, 3, 28, 12), weekdays=[6], at=dt.time(0, 59), tz=london) == utc(
        2026, 3, 29, 0, 59
    )
    assert nxt(utc(2026, 3, 28, 12), weekdays=[6], at=dt.time(8, 0), tz=london) == utc(
        2026, 3, 29, 7, 0
    )


def test_london_repeated_time_fires_once_at_the_first_occurrence():
    # 01:30 happens twice on 25 October: 00:30 UTC (BST) and 01:30 UTC (GMT).
    first = nxt(utc(2026, 10, 24, 12), weekdays=[6], at=dt.time(1, 30), tz="Europe/London")
    assert first == utc(2026, 10, 25, 0, 30)
    # From the first firing, the next is next Sunday, not the repeat an hour later.
    again = nxt(first, weekdays=range(7), at=dt.time(1, 30), tz="Europe/London")
    assert again == utc(2026, 10, 26, 1, 30)
    # Even evaluated between the two occurrences, the repeat is not a new run.
    between = nxt(utc(2026, 10, 25, 1, 0), weekdays=[6], at=dt.time(1, 30), tz="Europe/London")
    assert between == utc(2026, 11, 1, 1, 30)


# --- America/New_York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT; fall back
#     2026-11-01 02:00 EDT -> 01:00 EST.


def test_new_york_gap_time_fires_at_the_transition():
    result = nxt(utc(2026, 3, 7, 12), weekdays=[6], at=dt.time(2, 30), tz="America/New_York")
    assert result == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert nxt(result, weekdays=[6], at=dt.time(2, 30), tz="America/New_York") == utc(
        2026, 3, 15, 6, 30
    )


def test_new_york_repeated_time_fires_once_at_the_first_occurrence():
    first = nxt(utc(2026, 10, 31, 12), weekdays=[6], at=dt.time(1, 30), tz="America/New_York")
    assert first == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 06:30 UTC (01:30 EST)
    assert nxt(first, weekdays=range(7), at=dt.time(1, 30), tz="America/New_York") == utc(
        2026, 11, 2, 6, 30
    )


def test_daily_schedule_walks_across_both_transitions_keeping_local_time():
    import zoneinfo

    zone = zoneinfo.ZoneInfo("Europe/London")
    instant = utc(2026, 3, 26, 12)
    seen = []
    for _ in range(6):
        instant = nxt(instant, at=dt.time(7, 15), tz="Europe/London")
        seen.append(instant)
    assert [i.astimezone(zone).time() for i in seen] == [dt.time(7, 15)] * 6
    assert [i.astimezone(zone).day for i in seen] == [27, 28, 29, 30, 31, 1]
    assert seen[1].hour == 7 and seen[2].hour == 6  # GMT then BST
