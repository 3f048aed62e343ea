"""Attendance models in the Django admin, bounded at province scale (core.admin_base.ScaleAdmin)."""

from django.contrib import admin

from attendance.models import AttendanceRecord, AttendanceWarning, LeaveRequest, SessionClosure
from core.admin_base import ScaleAdmin, scale_the_rest, scaled


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(ScaleAdmin):
    list_display = ["id", "user", "session", "venue", "status", "checkin_at", "source"]
    list_filter = ["status", "source"]
    list_select_related = ["user", "session", "venue"]


@admin.register(LeaveRequest)
class LeaveRequestAdmin(ScaleAdmin):
    list_display = ["id", "user", "program", "status", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["user", "program", "decided_by"]


scaled(SessionClosure, list_display=["session"], list_select_related=["session"])
scaled(
    AttendanceWarning,
    list_display=["id", "program", "user"],
    list_select_related=["program", "user"],
)

scale_the_rest("attendance")
