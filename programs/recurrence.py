"""Recurrence expansion for session series, in Asia/Shanghai wall-clock time.

China has had no daylight saving time since 1991, so a series "every Thursday 14:30" is the same
UTC instant-of-day every week; we still build each datetime from the local date and time with the
zone (never by adding timedeltas to an aware datetime) so the rule stays right in any zone.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError

# A series that runs longer than this is almost certainly a typo (until 2062 instead of 2026).
MAX_OCCURRENCES = 200


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def at_local(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware datetime for a wall-clock time on a day in the project's zone."""
    return dt.datetime.combine(day, time, tzinfo=local_zone())


def expand_dates(
    *,
    weekdays: list[int],
    first_date: dt.date,
    count: int | None = None,
    until: dt.date | None = None,
    skip_dates=(),
) -> list[dt.date]:
    """Dates on the given weekdays (0 = Monday) from first_date on.

    As in RFC 5545, `count` counts the rule's occurrences before skipped dates are removed: "every
    Thursday for 10 weeks, skipping 2 April" gives 9 dates. With both count and until, whichever
    ends first wins. Raises DomainError when the rule yields no date.
    """
    if not weekdays:
        raise DomainError(_("请至少选择一个星期几。"), field="weekdays")
    if count is None and until is None:
        raise DomainError(_("请填写次数或截止日期。"), field="count")
    if count is not None and count < 1:
        raise DomainError(_("次数至少为 1。"), field="count")
    if until is not None and until < first_date:
        raise DomainError(_("截止日期早于首次日期。"), field="until")
    wanted = set(weekdays)
    skip = set(skip_dates)
    dates, produced, day = [], 0, first_date
    while True:
        if until is not None and day > until:
            break
        if count is not None and produced >= count:
            break
        if day.weekday() in wanted:
            produced += 1
            if produced > MAX_OCCURRENCES:
                raise DomainError(
                    _("循环次数超过 %(n)s 次,请检查截止日期。") % {"n": MAX_OCCURRENCES},
                    field="until",
                )
            if day not in skip:
                dates.append(day)
        day += dt.timedelta(days=1)
    if not dates:
        raise DomainError(_("按此规则没有生成任何日期,请检查星期、日期和跳过日期。"))
    return dates


def parse_dates(text: str) -> list[dt.date]:
    """Dates typed by a person: ISO dates separated by commas, spaces, 、 or new lines."""
    out = []
    for raw in text.replace(",", " ").replace(",", " ").replace("、", " ").split():
        try:
            out.append(dt.date.fromisoformat(raw))
        except ValueError:
            raise DomainError(
                _("无法识别的日期:%(d)s(请用 2026-04-02 的格式)") % {"d": raw}, field="skip_dates"
            ) from None
    return out
