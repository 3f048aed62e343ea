from django import template

from attendance.models import AttendanceStatus

register = template.Library()


@register.filter
def status_label(value):
    """The display name of a stored status value (audit snapshots keep the raw value)."""
    try:
        return AttendanceStatus(value).label
    except ValueError:
        return value
