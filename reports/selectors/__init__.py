"""Reads across programs, enrollment, attendance (and evaluation where it exists) for reports,
one module per workflow: ``exports`` (a program's sheets and summaries), ``statistics`` (the
statistics page, from the rollups), ``trainees`` (finding a person). Every function issues a fixed
number of queries whatever the size of the data, so the exports and the statistics page stay
flat at province scale."""

from attendance.models import AttendanceStatus
from reports.selectors.exports import (
    FUTURE_MARK,
    NO_MARK,
    STATUS_MARK,
    attendance_flat_rows,
    enrolled_count,
    enrolled_trainees,
    program_sessions,
    rate,
    session_for_report,
    signin_sheet_data,
    summary_overview,
    summary_rows,
    unit_groups_of_program,
)
from reports.selectors.statistics import StatsFilters, statistics, statistics_years
from reports.selectors.trainees import trainee_get, trainees_search

__all__ = [
    "FUTURE_MARK",
    "NO_MARK",
    "STATUS_MARK",
    "AttendanceStatus",
    "StatsFilters",
    "attendance_flat_rows",
    "enrolled_count",
    "enrolled_trainees",
    "program_sessions",
    "rate",
    "session_for_report",
    "signin_sheet_data",
    "statistics",
    "statistics_years",
    "summary_overview",
    "summary_rows",
    "trainee_get",
    "trainees_search",
    "unit_groups_of_program",
]
