import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core import services
from core.models import Notification

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def notification_email_send(self, notification_id: int) -> bool:
    """E-mail one notification, once: the emailed_at marker is claimed before sending."""
    with transaction.atomic():
        note = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if note is None or not note.user.email:
            return False
        subject, message = services.notification_email_text(note)
        try:
            send_mail(
                subject=subject,
                message=message,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[note.user.email],
            )
        except Exception as exc:  # the claim rolls back with the transaction; try again later
            raise self.retry(exc=exc) from exc
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
    return True


@shared_task
def generated_files_cleanup() -> int:
    return services.generated_files_cleanup()


@shared_task
def notification_email_sweep(max_age_hours: int = 24) -> int:
    """E-mail notifications that were never sent (their task was lost while the broker was
    down). Sending is claimed per row, so running twice never sends twice."""
    from datetime import timedelta

    cutoff = timezone.now() - timedelta(minutes=5)
    since = timezone.now() - timedelta(hours=max_age_hours)
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=cutoff,
            created_at__gt=since,
            user__email_notifications=True,
        )
        .exclude(user__email="")
        .values_list("pk", flat=True)[:1000]
    )
    sent = 0
    for pk in list(pending):
        try:
            sent += bool(notification_email_send.run(pk))
        except Exception:  # one refused address must not hold back everyone else's mail
            log.warning(
                "notification %s: e-mail not sent, left for the next sweep", pk, exc_info=True
            )
    return sent


@shared_task
def generated_files_requeue() -> int:
    return services.generated_files_requeue()


@shared_task
def file_jobs_fail_stale() -> int:
    """Fail file jobs that stopped reporting (core.jobs.file_jobs_fail_stale)."""
    from core.jobs import file_jobs_fail_stale as sweep

    return sweep()


@shared_task
def retention_purge() -> dict:
    """Delete what is past its retention period (core.retention), audited per kind."""
    from core import retention

    return {r.kind: r.count for r in retention.purge()}


@shared_task
def audit_archive() -> int:
    """Move audit entries past the online retention (≥ 180 days) to an archive file."""
    from core import audit

    return audit.archive().count


@shared_task
def audit_verify() -> bool:
    """Walk the audit chain daily and record the outcome in it (`audit.verify`: entries checked,
    head hash, the first bad entry), so each day's head is kept and a break is seen at once."""
    import logging

    from core import audit
    from core.services import audit_log_target

    result = audit.verify()
    audit_log_target(
        action="audit.verify",
        target_type="core.auditlog",
        target_id="chain",
        after={
            "checked": result.checked,
            "head_hash": result.head_hash,
            "first_bad_id": result.first_bad_id,
            "problem": result.problem,
        },
        result="success" if result.ok else "refused",
    )
    if not result.ok:
        logging.getLogger(__name__).error(
            "audit chain broken at entry %s: %s", result.first_bad_id, result.problem
        )
    return result.ok
