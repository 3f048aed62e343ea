"""The days a timetable page shows (week or month) and the sessions on each day."""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone


@dataclass
class Day:
    date: dt.date
    in_program: bool
    in_period: bool = True
    sessions: list = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()


@dataclass
class Period:
    view: str  # "week" | "month"
    anchor: dt.date
    first: dt.date
    last: dt.date
    prev: dt.date
    next: dt.date


def period_for(view: str, anchor: dt.date) -> Period:
    if view == "month":
        month_first = anchor.replace(day=1)
        month_last = anchor.replace(day=calendar.monthrange(anchor.year, anchor.month)[1])
        first = month_first - dt.timedelta(days=month_first.weekday())
        last = month_last + dt.timedelta(days=6 - month_last.weekday())
        prev = (month_first - dt.timedelta(days=1)).replace(day=1)
        nxt = month_last + dt.timedelta(days=1)
        return Period("month", anchor, first, last, prev, nxt)
    first = anchor - dt.timedelta(days=anchor.weekday())
    return Period(
        "week",
        anchor,
        first,
        first + dt.timedelta(days=6),
        first - dt.timedelta(days=7),
        first + dt.timedelta(days=7),
    )


def build_days(*, period: Period, program, sessions, only: set | None = None) -> list[Day]:
    """One Day per date of the period (or only those in `only`), holding its sessions."""
    days = {}
    d = period.first
    while d <= period.last:
        if only is None or d in only:
            days[d] = Day(
                date=d,
                in_program=program.start_date <= d <= program.end_date,
                in_period=period.view == "week" or d.month == period.anchor.month,
            )
        d += dt.timedelta(days=1)
    for s in sessions:
        day = days.get(timezone.localdate(s.start))
        if day is not None:
            day.sessions.append(s)
    return list(days.values())


def default_anchor(program, requested: str | None) -> dt.date:
    if requested:
        try:
            return dt.date.fromisoformat(requested)
        except ValueError:
            pass
    today = timezone.localdate()
    if program.start_date <= today <= program.end_date:
        return today
    return program.start_date
