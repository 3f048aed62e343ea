"""Retention (issue 17 item 11): evaluation's purger, run by core.retention's daily purge.

Files attached to reflections are deleted past the policy's period (core.retention.DEFAULT_DAYS
"reflection_attachments", LECTERN_RETENTION_DAYS), counted from the reflection's creation; the
essay text, grade and comment stay (they are part of the completion record). Drafts are kept:
their author is still working on them."""

from core.retention import delete_files_on_commit
from evaluation.models import Reflection


def purge_reflection_attachments(*, before) -> int:
    old = (
        Reflection.objects.filter(created_at__lt=before)
        .exclude(attachment="")
        .exclude(status=Reflection.Status.DRAFT)
    )
    names = list(old.values_list("attachment", flat=True))
    count = old.update(attachment="")
    delete_files_on_commit(names, Reflection._meta.get_field("attachment").storage)
    return count


PURGERS = {"reflection_attachments": purge_reflection_attachments}
