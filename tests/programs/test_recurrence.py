import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.errors import DomainError
from programs.recurrence import at_local, expand_dates, parse_dates

THU = 3


def test_every_thursday_for_ten_weeks_skipping_a_holiday_gives_nine_dates():
    dates = expand_dates(
        weekdays=[THU], first_date=dt.date(2026, 3, 5), count=10, skip_dates=[dt.date(2026, 4, 2)]
    )
    assert len(dates) == 9
    assert dt.date(2026, 4, 2) not in dates
    assert dates[0] == dt.date(2026, 3, 5)
    assert dates[-1] == dt.date(2026, 5, 7)
    assert all(d.weekday() == THU for d in dates)


def test_until_is_inclusive_and_first_date_before_the_weekday_is_moved_forward():
    dates = expand_dates(weekdays=[THU], first_date=dt.date(2026, 3, 2), until=dt.date(2026, 3, 19))
    assert dates == [dt.date(2026, 3, 5), dt.date(2026, 3, 12), dt.date(2026, 3, 19)]


def test_count_and_until_whichever_ends_first():
    by_count = expand_dates(
        weekdays=[0, 2], first_date=dt.date(2026, 3, 2), count=3, until=dt.date(2026, 12, 31)
    )
    assert by_count == [dt.date(2026, 3, 2), dt.date(2026, 3, 4), dt.date(2026, 3, 9)]
    by_until = expand_dates(
        weekdays=[0, 2], first_date=dt.date(2026, 3, 2), count=30, until=dt.date(2026, 3, 5)
    )
    assert by_until == [dt.date(2026, 3, 2), dt.date(2026, 3, 4)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {
            "weekdays": [THU],
            "first_date": dt.date(2026, 3, 5),
            "count": 1,
            "skip_dates": [dt.date(2026, 3, 5)],
        },  # the only date is skipped
        {"weekdays": [THU], "first_date": dt.date(2026, 3, 6), "until": dt.date(2026, 3, 11)},
    ],
)
def test_a_rule_that_yields_no_date_is_refused(kwargs):
    with pytest.raises(DomainError, match="没有生成任何日期"):
        expand_dates(**kwargs)


def test_missing_weekday_or_end_is_refused():
    with pytest.raises(DomainError):
        expand_dates(weekdays=[], first_date=dt.date(2026, 3, 5), count=3)
    with pytest.raises(DomainError):
        expand_dates(weekdays=[THU], first_date=dt.date(2026, 3, 5))
    with pytest.raises(DomainError):
        expand_dates(weekdays=[THU], first_date=dt.date(2026, 3, 5), until=dt.date(2026, 3, 1))


def test_a_runaway_until_is_refused():
    with pytest.raises(DomainError, match="超过"):
        expand_dates(
            weekdays=[0, 1, 2, 3, 4], first_date=dt.date(2026, 1, 1), until=dt.date(2062, 1, 1)
        )


def test_shanghai_wall_clock_is_the_same_utc_time_all_year(settings):
    """No daylight saving in Asia/Shanghai: 14:30 local is 06:30 UTC on every date, including
    the dates on which Europe and America switch their clocks."""
    settings.TIME_ZONE = "Asia/Shanghai"
    dates = expand_dates(
        weekdays=list(range(7)), first_date=dt.date(2026, 1, 1), until=dt.date(2026, 6, 30)
    )
    dates += expand_dates(
        weekdays=list(range(7)), first_date=dt.date(2026, 7, 1), until=dt.date(2026, 12, 31)
    )
    utc = {at_local(d, dt.time(14, 30)).astimezone(dt.UTC).time() for d in dates}
    assert utc == {dt.time(6, 30)}
    spring = at_local(dt.date(2026, 3, 8), dt.time(14, 30))  # US DST starts that day
    assert spring.utcoffset() == dt.timedelta(hours=8)
    assert spring.tzinfo == ZoneInfo("Asia/Shanghai")


def test_parse_dates_accepts_commas_and_new_lines_and_reports_the_bad_one():
    assert parse_dates("2026-04-02, 2026-05-01\n2026-06-19、2026-10-01") == [
        dt.date(2026, 4, 2),
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 19),
        dt.date(2026, 10, 1),
    ]
    with pytest.raises(DomainError, match="4月2日"):
        parse_dates("4月2日")
