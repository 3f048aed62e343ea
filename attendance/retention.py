"""Retention (issue 17 item 11): attendance's purger, run by core.retention's daily purge.

A leave request's proof (a doctor's note, a work order) is personal data needed while the request
is decided and checked; past the policy's period (core.retention.DEFAULT_DAYS
"leave_attachments", LECTERN_RETENTION_DAYS) the file is deleted. The request and its decision
stay: they are the attendance record."""

from attendance.models import LeaveRequest
from core.retention import delete_files_on_commit


def purge_leave_attachments(*, before) -> int:
    old = (
        LeaveRequest.objects.filter(created_at__lt=before)
        .exclude(attachment="")
        .exclude(status=LeaveRequest.Status.PENDING)
    )
    names = list(old.values_list("attachment", flat=True))
    count = old.update(attachment="")
    delete_files_on_commit(names, LeaveRequest._meta.get_field("attachment").storage)
    return count


PURGERS = {"leave_attachments": purge_leave_attachments}
