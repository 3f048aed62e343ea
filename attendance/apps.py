from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def attended_user_ids(program) -> set[int]:
    """Users with a credited attendance record (attendance.rules.credited_statuses under the
    program's leave policy) at a session of the program that is not cancelled. One query."""
    from attendance.models import AttendanceRecord
    from attendance.rules import credited_statuses
    from programs.models import Session

    credited = credited_statuses(leave_counts_as_attended=program.leave_counts_as_attended)
    return set(
        AttendanceRecord.objects.filter(session__program=program, status__in=credited)
        .exclude(session__status=Session.Status.CANCELLED)
        .values_list("user_id", flat=True)
        .distinct()
    )


class AttendanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "attendance"
    verbose_name = _("考勤")

    def ready(self):
        # Who attended, offered to enrollment (reconciliation) without enrollment importing us.
        from enrollment import hooks

        hooks.register(attended_user_ids=attended_user_ids)
