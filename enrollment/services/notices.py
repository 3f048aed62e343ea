"""Nomination notices (调训通知): the organizer drafts the official notice from the program and
its quotas, sends it to the liaisons of every unit with a quota (a receipt per unit), a liaison
opening it marks it read, and a unit may decline with a reason. Replies themselves are the named
nominations against the unit's quota (enrollment.services.nominations), closed at the notice's
reply deadline."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import audit_log, notify_many
from enrollment import selectors
from enrollment.models import (
    Enrollment,
    EnrollmentPolicy,
    NominationNotice,
    NoticeReceipt,
    NoticeReminder,
    Quota,
)
from enrollment.services._base import _ensure_open, _lock_program

FIELDS = (
    "doc_number",
    "title",
    "body",
    "reply_deadline",
    "contact",
    "issuing_unit",
    "issue_date",
)


def _check_plan(program) -> None:
    """A notice goes out only for an approved (备案) class, or one an admin let run unplanned."""
    item = program.plan_item
    if program.plan_waived_by_id:
        return
    if item is None:
        raise DomainError(_("本班没有已备案的培训计划班次,不能发调训通知。"))
    if item.status != "approved":
        raise DomainError(
            _("本班对应的计划班次尚未备案(%(status)s),不能发调训通知。")
            % {"status": item.get_status_display()}
        )


def _place(program) -> str:
    if program.plan_item_id and program.plan_item.place:
        return program.plan_item.place
    session = program.sessions.select_related("venue").exclude(venue=None).order_by("start").first()
    return session.venue.name if session else ""


def notice_defaults(*, program, now=None) -> dict:
    """The notice's fields drafted from the program (the organizer edits them before sending)."""
    now = now or timezone.now()
    days = (program.end_date - program.start_date).days + 1
    deadline_day = max(program.start_date - datetime.timedelta(days=7), now.date())
    deadline = timezone.make_aware(datetime.datetime.combine(deadline_day, datetime.time(17, 0)))
    audience = program.plan_item.audience if program.plan_item_id else ""
    params = {
        "title": program.title,
        "start": program.start_date.strftime("%Y-%m-%d"),
        "end": program.end_date.strftime("%Y-%m-%d"),
        "days": days,
        "place": _place(program) or _("另行通知"),
        "audience": audience or _("各单位按分配名额选派的干部"),
    }
    body = (
        "\n".join(
            [
                _("经研究,决定举办%(title)s。现将有关事项通知如下:"),
                _("一、培训时间:%(start)s 至 %(end)s,共 %(days)d 天。"),
                _("二、培训地点:%(place)s。"),
                _("三、培训对象及名额:%(audience)s,各单位名额见附表。"),
                _(
                    "四、有关要求:请各单位于回执截止时间前在讲台系统中报送参训人员名单(回执);"
                    "确因特殊情况不能参训的,请在系统中回复并说明原因。参训学员须按时报到,"
                    "严格遵守学习纪律,原则上不得请假。"
                ),
            ]
        )
        % params
    )
    return {
        "doc_number": "",
        "title": _("关于举办%(title)s的通知") % {"title": program.title},
        "body": body,
        "reply_deadline": deadline,
        "contact": "",
        "issuing_unit": program.organizing_unit.name,
        "issue_date": timezone.localdate(now),
    }


def _validate(program, data) -> None:
    for field, label in (
        ("doc_number", _("文号")),
        ("title", _("标题")),
        ("body", _("正文")),
        ("contact", _("联系人及电话")),
        ("issuing_unit", _("发文单位")),
    ):
        if not str(data.get(field) or "").strip():
            raise DomainError(_("请填写%(field)s。") % {"field": label}, field=field)
    deadline = data.get("reply_deadline")
    if deadline is None:
        raise DomainError(_("请填写回执截止时间。"), field="reply_deadline")
    if timezone.localtime(deadline).date() > program.start_date:
        raise DomainError(
            _("回执截止时间不能晚于开班日期 %(date)s。")
            % {"date": program.start_date.strftime("%Y-%m-%d")},
            field="reply_deadline",
        )
    if data.get("issue_date") is None:
        raise DomainError(_("请填写发文日期。"), field="issue_date")


@transaction.atomic
def notice_save(*, program, by, **data) -> NominationNotice:
    """Create or change the draft notice of a program. A sent notice is an official document
    and is not changed."""
    program = _lock_program(program)
    _ensure_open(program)
    _check_plan(program)
    data = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in FIELDS}
    _validate(program, data)
    notice = NominationNotice.objects.select_for_update().filter(program=program).first()
    if notice and notice.status == NominationNotice.Status.SENT:
        raise DomainError(_("调训通知已发送,不能再修改。"))
    before = {k: str(getattr(notice, k)) for k in FIELDS} if notice else {}
    if notice is None:
        notice = NominationNotice(program=program, created_by=by)
    for k, v in data.items():
        setattr(notice, k, v)
    notice.save()
    audit_log(
        actor=by,
        action="enrollment.notice_save",
        target=notice,
        before=before,
        after={k: str(getattr(notice, k)) for k in FIELDS},
    )
    return notice


@transaction.atomic
def notice_send(*, notice, by, now=None) -> list[NoticeReceipt]:
    """Send the notice to every unit with a quota: one receipt per unit, every liaison of the
    unit told in the app and by e-mail. The reply deadline becomes the nomination deadline.
    Sent once."""
    now = now or timezone.now()
    program = _lock_program(notice.program)
    _ensure_open(program)
    _check_plan(program)
    notice = NominationNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == NominationNotice.Status.SENT:
        raise DomainError(_("调训通知已发送。"))
    if notice.reply_deadline <= now:
        raise DomainError(_("回执截止时间已过,请先修改通知。"), field="reply_deadline")
    quotas = list(Quota.objects.filter(program=program).select_related("unit"))
    if not quotas:
        raise DomainError(_("本班尚未分配调训名额,请先分配名额。"))
    receipts = NoticeReceipt.objects.bulk_create(
        [NoticeReceipt(notice=notice, unit=q.unit, sent_at=now) for q in quotas]
    )
    notice.status, notice.sent_by, notice.sent_at = NominationNotice.Status.SENT, by, now
    notice.save(update_fields=["status", "sent_by", "sent_at", "updated_at"])
    policy, _created = EnrollmentPolicy.objects.get_or_create(program=program)
    policy.nomination_deadline = notice.reply_deadline
    policy.save(update_fields=["nomination_deadline", "updated_at"])
    seats = {q.unit_id: q.seats for q in quotas}
    told = 0
    for receipt in receipts:
        liaisons = list(selectors.liaisons_of(receipt.unit))
        if not liaisons:
            continue
        told += notify_many(
            users=liaisons,
            title=gettext_lazy("调训通知:%(title)s"),
            body=gettext_lazy(
                "%(doc)s:%(unit)s 名额 %(seats)d 人,请于 %(deadline)s 前报送参训人员名单。"
            ),
            url=reverse("enrollment:notice_receipt", args=[receipt.pk]),
            kind="enrollment",
            params={
                "title": notice.title,
                "doc": notice.doc_number,
                "unit": receipt.unit.name,
                "seats": seats[receipt.unit_id],
                "deadline": timezone.localtime(notice.reply_deadline).strftime("%Y-%m-%d %H:%M"),
            },
        )
    audit_log(
        actor=by,
        action="enrollment.notice_send",
        target=notice,
        after={"units": len(receipts), "liaisons": told},
    )
    return receipts


@transaction.atomic
def receipt_mark_read(*, receipt, by, now=None) -> NoticeReceipt:
    """The first time one of the unit's liaisons opens the notice (read receipt)."""
    if not selectors.is_liaison_for(by, receipt.unit):
        return receipt
    updated = NoticeReceipt.objects.filter(pk=receipt.pk, read_at__isnull=True).update(
        read_at=now or timezone.now(), read_by=by, updated_at=timezone.now()
    )
    if updated:
        receipt.refresh_from_db()
        audit_log(actor=by, action="enrollment.notice_read", target=receipt)
    return receipt


@transaction.atomic
def receipt_decline(*, receipt, by, reason: str, now=None) -> NoticeReceipt:
    """The unit replies that it sends nobody, with a reason; only before the deadline and while
    it has no open nomination."""
    from django.core.exceptions import PermissionDenied

    now = now or timezone.now()
    reason = (reason or "").strip()
    if not selectors.is_liaison_for(by, receipt.unit):
        raise PermissionDenied
    if not reason:
        raise DomainError(_("请填写不能参训的原因。"), field="reason")
    receipt = (
        NoticeReceipt.objects.select_for_update()
        .select_related("notice__program", "unit")
        .get(pk=receipt.pk)
    )
    notice = receipt.notice
    _ensure_open(notice.program)
    if receipt.declined_at:
        raise DomainError(_("本单位已回复不参训。"))
    if now > notice.reply_deadline:
        raise DomainError(_("已过回执截止时间,不能再回复。"))
    open_rows = Enrollment.objects.filter(
        program_id=notice.program_id,
        quota__unit=receipt.unit,
        status__in=selectors.QUOTA_STATUSES,
    ).count()
    if open_rows:
        raise DomainError(
            _("本单位已提名 %(n)d 人,不能回复不参训;如需调整请使用替换。") % {"n": open_rows}
        )
    receipt.declined_at, receipt.declined_by, receipt.decline_reason = now, by, reason
    if receipt.read_at is None:
        receipt.read_at, receipt.read_by = now, by
    receipt.save()
    audit_log(
        actor=by, action="enrollment.notice_decline", target=receipt, after={"reason": reason}
    )
    from enrollment.services._base import _notify_reviewers

    _notify_reviewers(
        notice.program,
        title=gettext_lazy("调训回执:%(unit)s 不能参训"),
        body=gettext_lazy("%(program)s:%(reason)s"),
        url=reverse("enrollment:notice", args=[notice.program_id]),
        params={"unit": receipt.unit.name, "program": notice.program.title, "reason": reason},
    )
    return receipt


# ---- reminders (催报) ---------------------------------------------------------------------------

# Hours before the reply deadline at which silent units are reminded; only the latest occasion
# due is sent, and none that fell before the notice was sent (a notice sent 30 hours before its
# deadline gets the 24-hour reminder only).
REMINDER_HOURS = (48, 24)


def _silent_receipts(notice, now):
    from enrollment.selectors import notices as sel

    return [
        r.receipt for r in sel.reply_overview(notice, now=now) if r.state in ("pending", "overdue")
    ]


def notice_remind(*, notice, occasion: str, by=None, now=None) -> int:
    """Remind every liaison of each unit that has neither filled its quota nor declined, once
    per (unit, occasion): the reminder row is inserted first, in its own savepoint, and a unit
    whose row exists already (another beat process, a second click) is skipped. Returns the
    number of units reminded."""
    now = now or timezone.now()
    if notice.status != NominationNotice.Status.SENT:
        raise DomainError(_("调训通知尚未发送。"))
    if now > notice.reply_deadline:
        raise DomainError(_("已过回执截止时间,不再催报。"))
    reminded = 0
    deadline = timezone.localtime(notice.reply_deadline).strftime("%Y-%m-%d %H:%M")
    for receipt in _silent_receipts(notice, now):
        try:
            with transaction.atomic():
                NoticeReminder.objects.create(receipt=receipt, occasion=occasion, sent_by=by)
                liaisons = list(selectors.liaisons_of(receipt.unit))
                if liaisons:
                    notify_many(
                        users=liaisons,
                        title=gettext_lazy("催报:%(title)s"),
                        body=gettext_lazy(
                            "%(unit)s 尚未报送参训人员名单,请于 %(deadline)s 前报送或回复不参训。"
                        ),
                        url=reverse("enrollment:notice_receipt", args=[receipt.pk]),
                        kind="enrollment",
                        params={
                            "title": notice.title,
                            "unit": receipt.unit.name,
                            "deadline": deadline,
                        },
                    )
                audit_log(
                    actor=by,
                    action="enrollment.notice_remind",
                    target=receipt,
                    after={"occasion": occasion},
                )
        except IntegrityError:
            continue
        reminded += 1
    return reminded


def notice_remind_manual(*, notice, by, now=None) -> int:
    """The host's "remind the silent units" button: at most once a day per unit."""
    now = now or timezone.now()
    return notice_remind(
        notice=notice, occasion=f"manual-{timezone.localdate(now).isoformat()}", by=by, now=now
    )


def notice_reminders_due(*, now=None) -> int:
    """Beat: for every sent notice whose deadline is ahead, send its latest due occasion."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(hours=max(REMINDER_HOURS))
    units = 0
    notices = NominationNotice.objects.filter(
        status=NominationNotice.Status.SENT, reply_deadline__gt=now, reply_deadline__lte=horizon
    ).select_related("program")
    for notice in notices:
        due = [
            h
            for h in REMINDER_HOURS
            if notice.sent_at <= notice.reply_deadline - datetime.timedelta(hours=h) <= now
        ]
        if due:
            units += notice_remind(notice=notice, occasion=f"before-{min(due)}h", now=now)
    return units
