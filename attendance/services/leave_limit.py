"""The 1/7 leave rule (attendance.rules.leave_limit_state) applied: after leave changes, flag the
trainees whose approved leave nears or passes the limit and tell the class managers; then the
manager records the decision: withdraw (through enrollment's withdrawal service) or keep the
trainee with a reason, audited."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from attendance.models import LeaveLimitFlag
from attendance.rules import LeaveLimit, leave_limit_hours, leave_limit_state
from attendance.selectors.leave_limit import ZERO, class_hours, leave_hours
from attendance.services.common import class_managers
from core.errors import DomainError, self_decision_guard
from core.services import audit_log, notify_many
from enrollment.models import Enrollment, WithdrawalRequest
from enrollment.services import withdrawal_approve
from programs.access import ensure_program_open

Level = LeaveLimitFlag.Level
_TITLES = {
    Level.NEAR: gettext_lazy("请假接近上限:%(name)s(%(program)s)"),
    Level.OVER: gettext_lazy("请假超过课程学时 1/7:%(name)s(%(program)s)"),
}
_BODIES = {
    Level.NEAR: gettext_lazy(
        "已批准请假 %(leave)s 学时,本班共 %(total)s 学时,请假上限为 %(limit)s 学时。"
    ),
    Level.OVER: gettext_lazy(
        "已批准请假 %(leave)s 学时,超过本班 %(total)s 学时的 1/7(%(limit)s 学时),"
        "按规定应予退学,请作出处理决定。"
    ),
}


@transaction.atomic
def leave_limit_check(*, program, user_ids) -> dict:
    """Bring these trainees' flags up to date with their approved leave; notify the class
    managers of each trainee newly nearing the limit or newly past it. Returns {user_id: state}
    (attendance.rules.LeaveLimit) for the enrolled ones. 3 queries and a write per change."""
    user_ids = {int(u) for u in user_ids}
    if not user_ids:
        return {}
    enrolled = set(
        Enrollment.objects.filter(
            program=program, status=Enrollment.Status.ENROLLED, user_id__in=user_ids
        ).values_list("user_id", flat=True)
    )
    total = class_hours(program_id=program.pk)
    hours = leave_hours(program_id=program.pk, user_ids=enrolled)
    states = {
        uid: leave_limit_state(leave_hours=hours.get(uid, ZERO), class_hours=total)
        for uid in enrolled
    }
    flags = {
        f.user_id: f
        for f in LeaveLimitFlag.objects.select_for_update()
        .select_related("user")
        .filter(program=program, user_id__in=enrolled)
    }
    announce = []
    for uid, state in states.items():
        flag, leave = flags.get(uid), hours.get(uid, ZERO)
        if state == LeaveLimit.OK:
            if flag is not None and not flag.decision:
                flag.delete()
            continue
        level = Level.OVER if state == LeaveLimit.OVER else Level.NEAR
        if flag is None:
            try:
                with transaction.atomic():
                    flag = LeaveLimitFlag.objects.create(
                        program=program,
                        user_id=uid,
                        level=level,
                        leave_hours=leave,
                        class_hours=total,
                    )
            except IntegrityError:  # another check created it a moment ago: it announced
                continue
            announce.append(flag)
            continue
        raised = level == Level.OVER and flag.level == Level.NEAR
        if flag.decision:  # decided (only once over): the figures follow, the decision stands
            level = Level.OVER
        if (flag.level, flag.leave_hours, flag.class_hours) != (level, leave, total):
            flag.level, flag.leave_hours, flag.class_hours = level, leave, total
            flag.save(update_fields=["level", "leave_hours", "class_hours", "updated_at"])
        if raised:
            announce.append(flag)
    if announce:
        _announce(program, announce)
    return states


def _announce(program, flags) -> None:
    managers = class_managers(program.pk)
    if not managers:
        return
    url = reverse("attendance:leave_limit", args=[program.pk])
    users = dict(
        get_user_model()
        .objects.filter(pk__in=[f.user_id for f in flags])
        .values_list("pk", "full_name")
    )
    for flag in flags:
        notify_many(
            users=[m for m in managers if m.pk != flag.user_id],
            title=_TITLES[flag.level],
            body=_BODIES[flag.level],
            params={
                "name": users[flag.user_id],
                "program": program.title,
                "leave": str(flag.leave_hours),
                "total": str(flag.class_hours),
                "limit": str(leave_limit_hours(flag.class_hours)),
            },
            url=url,
            kind="attendance.leave_limit",
        )


@transaction.atomic
def leave_limit_decide(*, flag: LeaveLimitFlag, withdraw: bool, reason: str, by) -> LeaveLimitFlag:
    """The class manager's decision on a trainee past the limit, once: withdraw them (退学, through
    enrollment's withdrawal approval: the seat is freed, the trainee told) or keep them, with the
    reason either way. Nobody decides about themselves."""
    reason = (reason or "").strip()
    flag = LeaveLimitFlag.objects.select_for_update().select_related("program").get(pk=flag.pk)
    self_decision_guard(subject=flag, by=by)
    ensure_program_open(flag.program)
    if flag.level != Level.OVER:
        raise DomainError(_("该学员请假尚未超过上限,无需处理。"))
    if flag.decision:
        raise DomainError(_("已对该学员作出处理决定。"))
    if not reason:
        raise DomainError(_("请填写处理说明。"), field="reason")
    if withdraw:
        enrollment = Enrollment.objects.filter(
            program_id=flag.program_id, user_id=flag.user_id, status=Enrollment.Status.ENROLLED
        ).first()
        if enrollment is None:
            raise DomainError(_("该学员已不在本班名册中。"))
        request = WithdrawalRequest.objects.filter(
            enrollment=enrollment, status=WithdrawalRequest.Status.PENDING
        ).first() or WithdrawalRequest.objects.create(
            enrollment=enrollment,
            reason=_("请假超过课程学时的 1/7,予以退学:%(reason)s") % {"reason": reason},
            requested_by=by,
        )
        withdrawal_approve(request=request, by=by, note=reason)
    flag.decision = LeaveLimitFlag.Decision.WITHDRAWN if withdraw else LeaveLimitFlag.Decision.KEPT
    flag.decision_reason, flag.decided_by, flag.decided_at = reason, by, timezone.now()
    flag.save(
        update_fields=["decision", "decision_reason", "decided_by", "decided_at", "updated_at"]
    )
    audit_log(
        actor=by,
        action="attendance.leave_limit_decide",
        target=flag,
        before={"decision": ""},
        after={
            "decision": flag.decision,
            "leave_hours": str(flag.leave_hours),
            "class_hours": str(flag.class_hours),
        },
        reason=reason,
    )
    return flag
