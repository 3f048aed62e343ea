"""Named nominations (调训): a liaison nominates or substitutes cadres of their unit against its
quota; the organizer confirms or sends them back."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify
from enrollment import selectors
from enrollment.models import (
    Enrollment,
    Quota,
)
from enrollment.services._base import (
    _enrolled_count,
    _ensure_open,
    _leave_group,
    _lock_enrollment,
    _lock_program,
    _notify_reviewers,
    _open_row,
    _set_status,
)
from enrollment.services.applications import waitlist_promote

S = Enrollment.Status


def _check_liaison(by, quota):
    if not selectors.is_liaison_for(by, quota.unit):
        raise PermissionDenied


def _check_nomination_window(program):
    policy = selectors.policy_for(program)
    if not selectors.nominations_open(program, policy):
        if policy.nomination_deadline is None:
            raise DomainError(_("本班当前不接受提名。"), code="deadline_passed")
        raise DomainError(
            _(
                "已过调训名单报送截止时间(%(deadline)s),不能再提名;"
                "如需替换已报送的人员,请提交替换申请,由主办方审批。"
            )
            % {
                "deadline": timezone.localtime(policy.nomination_deadline).strftime(
                    "%Y-%m-%d %H:%M"
                )
            },
            code="deadline_passed",
        )


def _check_member(quota, user):
    if not (user.unit_id and user.unit.path.startswith(quota.unit.path)):
        raise DomainError(
            _("%(name)s 不是 %(unit)s 的人员,不能占用本单位名额。")
            % {"name": user.full_name, "unit": quota.unit.name},
            field="user",
        )


@transaction.atomic
def nomination_create(*, quota, user, by) -> Enrollment:
    """Nominate a named cadre of the quota's unit (subtree). Guarantees: never more open
    nominations than seats (the quota row is locked), never someone from another unit, never
    after the deadline. A liaison cannot nominate themselves."""
    _check_liaison(by, quota)
    self_decision_guard(subject=user, by=by)
    quota = (
        Quota.objects.select_for_update()
        .select_related("program__organizing_unit", "unit")
        .get(pk=quota.pk)
    )
    program = quota.program
    _ensure_open(program)
    _check_nomination_window(program)
    _check_member(quota, user)
    used = Enrollment.objects.filter(quota=quota, status__in=selectors.QUOTA_STATUSES).count()
    if used >= quota.seats:
        raise DomainError(
            _("%(unit)s 的 %(seats)d 个名额已用完,不能再提名;如需换人,请使用“替换”。")
            % {"unit": quota.unit.name, "seats": quota.seats},
            code="quota_full",
        )
    e = _open_row(
        program=program,
        user=user,
        status=S.NOMINATED,
        source=Enrollment.Source.NOMINATION,
        quota=quota,
        nominated_by=by,
    )
    audit_log(actor=by, action="enrollment.nominate", target=e, after={"status": S.NOMINATED})
    _notify_reviewers(
        program,
        title=gettext_lazy("调训提名待审核:%(program)s"),
        body=gettext_lazy("%(unit)s 提名 %(name)s。"),
        url=reverse("enrollment:review", args=[program.pk]),
        params={"program": program.title, "unit": quota.unit.name, "name": user.full_name},
    )
    _notify_nominee(e, program)
    return e


def _notify_nominee(e, program):
    notify(
        user=e.user,
        title=gettext_lazy("单位调训提名:%(program)s"),
        body=gettext_lazy("您已被单位提名参加本次培训,待主办方确认。"),
        url=reverse("enrollment:mine"),
        kind="enrollment",
        params={"program": program.title},
    )


def _check_substitute(old, quota, new_user, by):
    """What every substitution checks, before or after the deadline."""
    if old.quota_id is None or old.status not in selectors.QUOTA_STATUSES:
        raise DomainError(_("只能替换本单位名额中的在册或待审核人员。"))
    _check_liaison(by, quota)
    self_decision_guard(subject=new_user, by=by)
    _check_member(quota, new_user)
    if new_user.pk == old.user_id:
        raise DomainError(_("替换人员不能是原人员本人。"), field="user")


def _substitute(*, old, quota, new_user, by, reason, status=S.NOMINATED, decided_by=None):
    """Replace `old` by `new_user` on the same quota seat: a new (or reopened) row with
    `status`; the replaced person's row is kept as withdrawn, pointing at the substitute.
    Everyone concerned is told. Called under the program, row and quota locks."""
    program = quota.program
    new = _open_row(
        program=program,
        user=new_user,
        status=status,
        source=Enrollment.Source.NOMINATION,
        quota=quota,
        nominated_by=by,
        decided_by=decided_by,
    )
    _leave_group(old)
    old.substituted_by = new
    old.note = (old.note + "\n" if old.note else "") + _("由 %(name)s 替换") % {
        "name": new_user.full_name
    }
    before = _set_status(old, S.WITHDRAWN, reason=reason, extra=("substituted_by", "note", "group"))
    audit_log(
        actor=decided_by or by,
        action="enrollment.substitute",
        target=old,
        before={"status": before, "user": old.user.full_name},
        after={"status": S.WITHDRAWN, "substitute": new_user.full_name, "new_status": status},
        reason=reason,
    )
    notify(
        user=old.user,
        title=gettext_lazy("调训人员调整:%(program)s"),
        body=gettext_lazy("单位已安排 %(name)s 替换您参加本次培训。"),
        kind="enrollment",
        params={"program": program.title, "name": new_user.full_name},
    )
    if status == S.NOMINATED:
        _notify_reviewers(
            program,
            title=gettext_lazy("调训人员替换待审核:%(program)s"),
            body=gettext_lazy("%(unit)s:%(old)s → %(new)s"),
            url=reverse("enrollment:review", args=[program.pk]),
            params={
                "program": program.title,
                "unit": quota.unit.name,
                "old": old.user.full_name,
                "new": new_user.full_name,
            },
        )
    _notify_nominee(new, program)
    waitlist_promote(program=program)
    return new


def _lock_quota(pk) -> Quota:
    return (
        Quota.objects.select_for_update()
        .select_related("program__organizing_unit", "unit")
        .get(pk=pk)
    )


@transaction.atomic
def nomination_substitute(*, enrollment, new_user, by, reason: str = "") -> Enrollment:
    """Replace a nominee by another cadre of the same unit until the deadline (after it, the
    liaison asks the host: enrollment.services.substitutions). The substitute needs review and
    keeps the seat meanwhile (a pending nomination is not offered to the waitlist). Takes the
    program lock like every other path that changes who holds a seat."""
    _ensure_open(_lock_program(enrollment.program))
    old = _lock_enrollment(enrollment)
    if old.quota_id is None:
        raise DomainError(_("只能替换本单位名额中的在册或待审核人员。"))
    quota = _lock_quota(old.quota_id)
    _check_substitute(old, quota, new_user, by)
    if not selectors.nominations_open(quota.program):
        raise DomainError(
            _("已过调训名单报送截止时间,替换人员需提交替换申请,由主办方审批。"),
            code="deadline_passed",
        )
    return _substitute(old=old, quota=quota, new_user=new_user, by=by, reason=reason)


@transaction.atomic
def nomination_confirm(*, enrollment, by) -> Enrollment:
    """Accept a nomination: the nominee takes a seat if one is free."""
    program = _lock_program(enrollment.program)
    _ensure_open(program)
    e = _lock_enrollment(enrollment)
    self_decision_guard(subject=e, by=by)
    if e.status != S.NOMINATED:
        raise DomainError(_("该提名已处理(%(status)s)。") % {"status": e.get_status_display()})
    if _enrolled_count(program) >= program.capacity:
        raise DomainError(_("本班 %(n)d 个名额已满,不能再确认。") % {"n": program.capacity})
    _set_status(e, S.ENROLLED, by=by, reason="")
    audit_log(
        actor=by,
        action="enrollment.nomination_confirm",
        target=e,
        before={"status": S.NOMINATED},
        after={"status": S.ENROLLED},
    )
    title, params = gettext_lazy("已确认参训:%(program)s"), {"program": program.title}
    notify(
        user=e.user,
        title=title,
        body=gettext_lazy("请按时报到。"),
        kind="enrollment",
        url=reverse("enrollment:mine"),
        params=params,
    )
    if e.nominated_by_id and e.nominated_by_id != e.user_id:
        notify(
            user=e.nominated_by,
            title=title,
            body=e.user.full_name,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[e.quota_id]) if e.quota_id else "",
            params=params,
        )
    return e


@transaction.atomic
def nomination_send_back(*, enrollment, by, reason: str) -> Enrollment:
    """Return a nomination to the unit with a reason; its seat in the quota frees up, and the
    program seat it held goes to the head of the waitlist."""
    if not reason.strip():
        raise DomainError(_("请填写退回原因。"), field="reason")
    program = _lock_program(enrollment.program)
    _ensure_open(program)
    e = _lock_enrollment(enrollment)
    self_decision_guard(subject=e, by=by)
    if e.status != S.NOMINATED:
        raise DomainError(_("该提名已处理(%(status)s)。") % {"status": e.get_status_display()})
    _set_status(e, S.REJECTED, by=by, reason=reason.strip())
    audit_log(
        actor=by,
        action="enrollment.nomination_send_back",
        target=e,
        before={"status": S.NOMINATED},
        after={"status": S.REJECTED},
        reason=reason,
    )
    title, body = gettext_lazy("调训提名被退回:%(program)s"), gettext_lazy("%(name)s:%(reason)s")
    params = {"program": e.program.title, "name": e.user.full_name, "reason": reason.strip()}
    if e.nominated_by_id:
        notify(
            user=e.nominated_by,
            title=title,
            body=body,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[e.quota_id]) if e.quota_id else "",
            params=params,
        )
    notify(user=e.user, title=title, body=body, kind="enrollment", params=params)
    waitlist_promote(program=program)
    return e
