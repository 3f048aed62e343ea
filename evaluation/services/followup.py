"""Follow-up (成果转化): commitments after completion, progress updates and reminders."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import audit_log, notify_many
from evaluation import selectors
from evaluation.models import (
    COMMITMENT_MAX,
    Commitment,
    CommitmentUpdate,
    Completion,
)
from evaluation.services._common import _bounded


@transaction.atomic
def commitment_create(*, program, user, title, description, due_date) -> Commitment:
    if not Completion.objects.filter(program=program, user=user, passed=True).exists():
        raise DomainError(_("结业后才能填写成果转化承诺。"))
    if not (title or "").strip():
        raise DomainError(_("请填写承诺事项。"), field="title")
    title = _bounded(title, limit=200, field="title", label=_("承诺事项"))
    description = _bounded(
        description, limit=COMMITMENT_MAX, field="description", label=_("具体措施")
    )
    if due_date is None or due_date < timezone.localdate():
        raise DomainError(_("完成时限不能早于今天。"), field="due_date")
    return Commitment.objects.create(
        program=program,
        user=user,
        title=title,
        description=description,
        due_date=due_date,
    )


@transaction.atomic
def commitment_progress(*, commitment, user, note, progress) -> CommitmentUpdate:
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.user_id != user.pk:
        raise DomainError(_("只能更新自己的承诺。"))
    note = _bounded(note, limit=COMMITMENT_MAX, field="note", label=_("进展情况"))
    if not note:
        raise DomainError(_("请填写进展情况。"), field="note")
    try:
        progress = int(progress)
    except (TypeError, ValueError):
        raise DomainError(_("进度须为 0 到 100 的整数。"), field="progress") from None
    if not 0 <= progress <= 100:
        raise DomainError(_("进度须为 0 到 100 的整数。"), field="progress")
    update = CommitmentUpdate.objects.create(commitment=commitment, note=note, progress=progress)
    commitment.progress = progress
    commitment.status = Commitment.Status.DONE if progress == 100 else Commitment.Status.OPEN
    commitment.last_update_at = timezone.now()
    commitment.save(update_fields=["progress", "status", "last_update_at", "updated_at"])
    return update


@transaction.atomic
def followup_remind(*, program, by, today=None) -> int:
    """Remind the owners of commitments that are behind (overdue or not updated lately)."""
    behind = [c for c in selectors.followup_rows(program=program, today=today) if c.behind]
    users = list({c.user_id: c.user for c in behind}.values())
    if users:
        notify_many(
            users=users,
            kind="followup_reminder",
            title=gettext_lazy("请更新“%(p)s”成果转化承诺的进展"),
            params={"p": program.title},
            url=reverse("evaluation:followup_mine"),
        )
        Commitment.objects.filter(pk__in=[c.pk for c in behind]).update(
            last_reminded_at=timezone.now()
        )
    audit_log(actor=by, action="followup.remind", target=program, after={"users": len(users)})
    return len(users)
