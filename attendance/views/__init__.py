"""Attendance's HTTP endpoints, one module per workflow (scan, screens, sessions, leave, home),
re-exported here for the URLconf."""

from attendance.views.home import index
from attendance.views.leave import (
    leave_attachment,
    leave_cancel,
    leave_decide,
    leave_detail,
    leave_limit,
    leave_limit_decide,
    leave_list,
    leave_new,
)
from attendance.views.scanning import SCAN_LOGIN_NOTE, ping, scan, scan_resume
from attendance.views.screens import board, screen
from attendance.views.sessions import (
    mark,
    program_detail,
    record_clear_flag,
    record_detail,
    session_detail,
)

__all__ = [
    "SCAN_LOGIN_NOTE",
    "board",
    "index",
    "leave_attachment",
    "leave_cancel",
    "leave_decide",
    "leave_detail",
    "leave_limit",
    "leave_limit_decide",
    "leave_list",
    "leave_new",
    "mark",
    "ping",
    "program_detail",
    "record_clear_flag",
    "record_detail",
    "scan",
    "scan_resume",
    "screen",
    "session_detail",
]
