"""Substitutions after the reply deadline (替换申请): a unit liaison asks to replace a named cadre
by another of the unit, with a reason; the host approves (the substitution is made, the
substitute taking the replaced person's standing: enrolled for an enrolled one) or refuses with a
reason. Audited; the host is told of the request, the liaison of the decision, and the two
people concerned of an approved change. Before the deadline a liaison substitutes directly
(enrollment.services.nominations.nomination_substitute)."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify
from enrollment import selectors
from enrollment.models import Enrollment, SubstitutionRequest
from enrollment.services._base import (
    _ensure_open,
    _lock_enrollment,
    _lock_program,
    _notify_reviewers,
)
from enrollment.services.nominations import (
    _check_member,
    _check_substitute,
    _lock_quota,
    _substitute,
)

S = Enrollment.Status
R = SubstitutionRequest.Status
REASON_MAX = 1000


def _reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(message, field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("原因最多 %(n)d 个字。") % {"n": REASON_MAX}, field="reason")
    return reason


@transaction.atomic
def substitution_request(*, enrollment, new_user, by, reason: str) -> SubstitutionRequest:
    """The liaison's request after the deadline (before it, substitute directly)."""
    reason = _reason(reason, _("请填写替换原因。"))
    program = _lock_program(enrollment.program)
    _ensure_open(program)
    old = _lock_enrollment(enrollment)
    if old.quota_id is None:
        raise DomainError(_("只能替换本单位名额中的在册或待审核人员。"))
    quota = _lock_quota(old.quota_id)
    _check_substitute(old, quota, new_user, by)
    if selectors.nominations_open(quota.program):
        raise DomainError(_("报送截止前可以直接替换,无需申请。"))
    if SubstitutionRequest.objects.filter(enrollment=old, status=R.PENDING).exists():
        raise DomainError(_("%(name)s 已有一份待审批的替换申请。") % {"name": old.user.full_name})
    taken = (
        Enrollment.objects.filter(program=program, user=new_user)
        .exclude(status__in=selectors.CLOSED_STATUSES)
        .first()
    )
    if taken is not None:
        raise DomainError(
            _("%(name)s 在本班已有记录(%(status)s)。")
            % {"name": new_user.full_name, "status": taken.get_status_display()},
            field="user",
        )
    req = SubstitutionRequest.objects.create(
        enrollment=old, new_user=new_user, reason=reason, requested_by=by
    )
    audit_log(
        actor=by,
        action="enrollment.substitution_request",
        target=req,
        after={"old": old.user.full_name, "new": new_user.full_name},
        reason=reason,
    )
    _notify_reviewers(
        program,
        title=gettext_lazy("替换申请待审批:%(program)s"),
        body=gettext_lazy("%(unit)s:%(old)s → %(new)s(%(reason)s)"),
        url=reverse("enrollment:review", args=[program.pk]),
        params={
            "program": program.title,
            "unit": quota.unit.name,
            "old": old.user.full_name,
            "new": new_user.full_name,
            "reason": reason,
        },
    )
    return req


def _lock_request(req) -> SubstitutionRequest:
    req = (
        SubstitutionRequest.objects.select_for_update(of=("self",))
        .select_related("new_user__unit", "requested_by", "enrollment__program")
        .get(pk=req.pk)
    )
    if req.status != R.PENDING:
        raise DomainError(
            _("该替换申请已处理(%(status)s)。") % {"status": req.get_status_display()}
        )
    return req


def _tell_requester(req, *, title, body, params):
    if req.requested_by_id:
        notify(
            user=req.requested_by,
            title=title,
            body=body,
            kind="enrollment",
            url=reverse("enrollment:quota", args=[req.enrollment.quota_id])
            if req.enrollment.quota_id
            else "",
            params=params,
        )


@transaction.atomic
def substitution_approve(*, request, by, note: str = "", now=None) -> SubstitutionRequest:
    """Make the substitution: the substitute takes the seat (enrolled when the replaced person
    was, else nominated for review), the replaced person's row is withdrawn."""
    program = _lock_program(request.enrollment.program)
    _ensure_open(program)
    req = _lock_request(request)
    self_decision_guard(subject=req.new_user, by=by)
    old = _lock_enrollment(req.enrollment)
    if old.quota_id is None or old.status not in selectors.QUOTA_STATUSES:
        raise DomainError(
            _("%(name)s 已不在本单位名额中(%(status)s),请不予批准。")
            % {"name": old.user.full_name, "status": old.get_status_display()}
        )
    quota = _lock_quota(old.quota_id)
    _check_member(quota, req.new_user)  # they may have moved since the request
    status = S.ENROLLED if old.status == S.ENROLLED else S.NOMINATED
    new = _substitute(
        old=old,
        quota=quota,
        new_user=req.new_user,
        by=req.requested_by,
        reason=req.reason,
        status=status,
        decided_by=by if status == S.ENROLLED else None,
    )
    req.status, req.decided_by, req.decided_at = R.APPROVED, by, now or timezone.now()
    req.decision_note, req.substitute = (note or "").strip()[:REASON_MAX], new
    req.save()
    audit_log(
        actor=by,
        action="enrollment.substitution_approve",
        target=req,
        before={"status": R.PENDING},
        after={"status": R.APPROVED, "substitute": new.pk, "substitute_status": status},
        reason=req.decision_note,
    )
    _tell_requester(
        req,
        title=gettext_lazy("替换申请已批准:%(program)s"),
        body=gettext_lazy("%(old)s → %(new)s"),
        params={
            "program": program.title,
            "old": old.user.full_name,
            "new": req.new_user.full_name,
        },
    )
    return req


@transaction.atomic
def substitution_refuse(*, request, by, reason: str, now=None) -> SubstitutionRequest:
    reason = _reason(reason, _("请填写不批准的原因。"))
    program = _lock_program(request.enrollment.program)
    req = _lock_request(request)
    self_decision_guard(subject=req.new_user, by=by)
    req.status, req.decided_by, req.decided_at = R.REFUSED, by, now or timezone.now()
    req.decision_note = reason
    req.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.substitution_refuse",
        target=req,
        before={"status": R.PENDING},
        after={"status": R.REFUSED},
        reason=reason,
    )
    _tell_requester(
        req,
        title=gettext_lazy("替换申请未批准:%(program)s"),
        body=gettext_lazy("%(old)s → %(new)s:%(reason)s"),
        params={
            "program": program.title,
            "old": req.enrollment.user.full_name,
            "new": req.new_user.full_name,
            "reason": reason,
        },
    )
    return req
