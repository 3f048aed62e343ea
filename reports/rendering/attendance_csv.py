"""Every attendance record of a program as CSV (streamed, formula-safe, labels not codes)."""

from django.utils.translation import gettext_lazy

from core.tabular import csv_chunks
from reports import selectors

CSV_HEADER = [
    gettext_lazy("课程开始"),
    gettext_lazy("课程"),
    gettext_lazy("姓名"),
    gettext_lazy("单位"),
    gettext_lazy("状态"),
    gettext_lazy("签到时间"),
    gettext_lazy("签退时间"),
    gettext_lazy("来源"),
]


def attendance_csv_lines(*, program):
    """Yield CSV lines for every attendance record of the program (flat memory): statuses and
    sources as labels, every cell formula-safe (core.tabular)."""
    from attendance.models import AttendanceRecord

    labels = dict(selectors.AttendanceStatus.choices)
    sources = dict(AttendanceRecord.Source.choices)
    rows = (
        [
            start,
            topic,
            name,
            unit or "",
            labels.get(status, status),
            checkin,
            checkout,
            sources.get(source, source),
        ]
        for (
            start,
            topic,
            name,
            unit,
            status,
            checkin,
            checkout,
            source,
        ) in selectors.attendance_flat_rows(program=program)
    )
    return csv_chunks([str(h) for h in CSV_HEADER], rows)
