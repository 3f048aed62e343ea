"""Nomination notices (调训通知, issue 16 items 4–5): drafting from the program, sending to the
liaisons of every unit with a quota, read receipts, declining, and the host's per-unit reply
states (pending / replied / declined / overdue)."""

import datetime as dt
import subprocess

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.errors import DomainError
from core.models import AuditLog, Notification
from enrollment import selectors, services
from enrollment.models import NominationNotice, NoticeReceipt
from enrollment.selectors import notices as sel
from enrollment.services import notices as svc
from enrollment.views.notices import notice_pdf_bytes
from programs.models import Program
from tests.enrollment.factories import QuotaFactory
from tests.factories import RoleGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def prepare(w, *, waived=True):
    """The world's program starting in ten days, allowed to run (plan waived), with quotas for
    青湖区 (3 seats, the world's liaison) and the 组织部 (1 seat, its own liaison)."""
    today = timezone.localdate()
    Program.objects.filter(pk=w.program.pk).update(
        start_date=today + dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=14),
        plan_waived_by=w.admin if waived else None,
    )
    w.program.refresh_from_db()
    w.dept_a = w.program.organizing_unit
    w.q_county = QuotaFactory(program=w.program, unit=w.county_a, seats=3)
    w.dept_liaison = UserFactory(full_name="联络员乙", unit=w.dept_a)
    RoleGrantFactory(user=w.dept_liaison, role=Role.LIAISON, unit=w.dept_a)
    w.q_dept = QuotaFactory(program=w.program, unit=w.dept_a, seats=1)
    return w


def fields(w, **over):
    data = svc.notice_defaults(program=w.program)
    data.update(
        doc_number="云组干调〔2026〕12号",
        contact="王老师,0871-6000000",
        reply_deadline=timezone.now() + dt.timedelta(days=5),
    )
    data.update(over)
    return data


def sent(w):
    notice = svc.notice_save(program=w.program, by=w.organizer, **fields(w))
    svc.notice_send(notice=notice, by=w.organizer)
    notice.refresh_from_db()
    return notice


def test_defaults_are_drafted_from_the_program(world):
    w = prepare(world)
    data = svc.notice_defaults(program=w.program)
    assert data["title"] == f"关于举办{w.program.title}的通知"
    assert w.program.start_date.strftime("%Y-%m-%d") in data["body"]
    assert data["issuing_unit"] == w.program.organizing_unit.name
    assert timezone.localtime(data["reply_deadline"]).date() <= w.program.start_date


def test_save_creates_then_changes_a_draft_with_audit(world):
    w = prepare(world)
    notice = svc.notice_save(program=w.program, by=w.organizer, **fields(w))
    assert notice.status == NominationNotice.Status.DRAFT
    svc.notice_save(
        program=w.program, by=w.organizer, **fields(w, doc_number="云组干调〔2026〕13号")
    )
    notice.refresh_from_db()
    assert notice.doc_number == "云组干调〔2026〕13号"
    assert NominationNotice.objects.count() == 1
    assert AuditLog.objects.filter(action="enrollment.notice_save").count() == 2


@pytest.mark.parametrize(
    "over, field",
    [
        ({"doc_number": " "}, "doc_number"),
        ({"contact": ""}, "contact"),
        ({"reply_deadline": None}, "reply_deadline"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, over, field):
    w = prepare(world)
    with pytest.raises(DomainError) as exc:
        svc.notice_save(program=w.program, by=w.organizer, **fields(w, **over))
    assert exc.value.field == field
    assert not NominationNotice.objects.exists()


def test_a_deadline_after_the_class_starts_is_refused(world):
    w = prepare(world)
    late = timezone.now() + dt.timedelta(days=20)
    with pytest.raises(DomainError, match="不能晚于开班日期"):
        svc.notice_save(program=w.program, by=w.organizer, **fields(w, reply_deadline=late))


def test_a_program_without_an_approved_plan_item_gets_no_notice(world):
    w = prepare(world, waived=False)
    with pytest.raises(DomainError, match="没有已备案的培训计划班次"):
        svc.notice_save(program=w.program, by=w.organizer, **fields(w))
    assert not NominationNotice.objects.exists()


def test_send_makes_a_receipt_per_quota_unit_and_tells_every_liaison(world):
    w = prepare(world)
    notice = sent(w)
    assert notice.status == NominationNotice.Status.SENT and notice.sent_by == w.organizer
    receipts = {r.unit_id: r for r in NoticeReceipt.objects.filter(notice=notice)}
    assert set(receipts) == {w.county_a.pk, w.dept_a.pk}
    for user, unit in ((w.liaison, w.county_a), (w.dept_liaison, w.dept_a)):
        note = Notification.objects.get(user=user, title_msgid="调训通知:%(title)s")
        assert note.url == reverse("enrollment:notice_receipt", args=[receipts[unit.pk].pk])
        assert note.params["doc"] == "云组干调〔2026〕12号"
    # the reply deadline closes the nomination flow
    assert selectors.policy_for(w.program).nomination_deadline == notice.reply_deadline
    assert AuditLog.objects.filter(action="enrollment.notice_send").exists()


def test_a_sent_notice_is_neither_sent_again_nor_changed(world):
    w = prepare(world)
    notice = sent(w)
    with pytest.raises(DomainError, match="已发送"):
        svc.notice_send(notice=notice, by=w.organizer)
    with pytest.raises(DomainError, match="不能再修改"):
        svc.notice_save(program=w.program, by=w.organizer, **fields(w))
    assert NoticeReceipt.objects.count() == 2


def test_send_needs_quotas_and_a_future_deadline(world):
    w = prepare(world)
    w.q_county.delete()
    w.q_dept.delete()
    notice = svc.notice_save(program=w.program, by=w.organizer, **fields(w))
    with pytest.raises(DomainError, match="尚未分配调训名额"):
        svc.notice_send(notice=notice, by=w.organizer)
    QuotaFactory(program=w.program, unit=w.county_a, seats=1)
    with pytest.raises(DomainError, match="回执截止时间已过"):
        svc.notice_send(
            notice=notice, by=w.organizer, now=notice.reply_deadline + dt.timedelta(minutes=1)
        )
    assert not NoticeReceipt.objects.exists()
    notice.refresh_from_db()
    assert notice.status == NominationNotice.Status.DRAFT


def test_reply_states_pending_read_replied_declined_overdue(world):
    w = prepare(world)
    notice = sent(w)
    states = {r.unit.pk: r for r in sel.reply_overview(notice)}
    assert states[w.county_a.pk].state == "pending" and not states[w.county_a.pk].read

    county = NoticeReceipt.objects.get(notice=notice, unit=w.county_a)
    svc.receipt_mark_read(receipt=county, by=w.organizer)  # not the unit's liaison: no receipt
    county.refresh_from_db()
    assert county.read_at is None
    svc.receipt_mark_read(receipt=county, by=w.liaison)
    first = NoticeReceipt.objects.get(pk=county.pk).read_at
    svc.receipt_mark_read(receipt=county, by=w.liaison)  # the first reading counts
    assert NoticeReceipt.objects.get(pk=county.pk).read_at == first

    for _ in range(3):
        services.nomination_create(
            quota=w.q_county, user=UserFactory(unit=w.county_a), by=w.liaison
        )
    dept = NoticeReceipt.objects.get(notice=notice, unit=w.dept_a)
    svc.receipt_decline(receipt=dept, by=w.dept_liaison, reason="主要负责同志参加防汛工作")
    rows = {r.unit.pk: r for r in sel.reply_overview(notice)}
    assert rows[w.county_a.pk].state == "replied" and rows[w.county_a.pk].read
    assert rows[w.dept_a.pk].state == "declined" and rows[w.dept_a.pk].read  # declining reads it
    counts = sel.reply_counts(rows.values())
    assert counts["replied"] == 1 and counts["declined"] == 1 and counts["read"] == 2


def test_a_silent_or_short_unit_is_overdue_after_the_deadline(world):
    w = prepare(world)
    notice = sent(w)
    services.nomination_create(quota=w.q_county, user=UserFactory(unit=w.county_a), by=w.liaison)
    later = notice.reply_deadline + dt.timedelta(hours=1)
    rows = {r.unit.pk: r for r in sel.reply_overview(notice, now=later)}
    assert rows[w.county_a.pk].state == "overdue"  # 1 of 3 named
    assert rows[w.dept_a.pk].state == "overdue"
    before = {r.unit.pk: r.state for r in sel.reply_overview(notice)}
    assert before == {w.county_a.pk: "pending", w.dept_a.pk: "pending"}


def test_declining_needs_a_reason_the_liaison_no_nominees_and_time(world):
    w = prepare(world)
    notice = sent(w)
    county = NoticeReceipt.objects.get(notice=notice, unit=w.county_a)
    with pytest.raises(PermissionDenied):
        svc.receipt_decline(receipt=county, by=w.dept_liaison, reason="无")
    with pytest.raises(DomainError, match="请填写不能参训的原因"):
        svc.receipt_decline(receipt=county, by=w.liaison, reason="  ")
    with pytest.raises(DomainError, match="已过回执截止时间"):
        svc.receipt_decline(
            receipt=county,
            by=w.liaison,
            reason="任务重",
            now=notice.reply_deadline + dt.timedelta(seconds=1),
        )
    services.nomination_create(quota=w.q_county, user=UserFactory(unit=w.county_a), by=w.liaison)
    with pytest.raises(DomainError, match="已提名 1 人"):
        svc.receipt_decline(receipt=county, by=w.liaison, reason="任务重")
    dept = NoticeReceipt.objects.get(notice=notice, unit=w.dept_a)
    svc.receipt_decline(receipt=dept, by=w.dept_liaison, reason="任务重")
    with pytest.raises(DomainError, match="已回复不参训"):
        svc.receipt_decline(receipt=dept, by=w.dept_liaison, reason="任务重")
    assert Notification.objects.filter(user=w.organizer, title_msgid__contains="不能参训").exists()


def test_a_reply_after_the_deadline_is_refused_by_the_nomination_flow(world):
    w = prepare(world)
    notice = sent(w)
    NominationNotice.objects.filter(pk=notice.pk).update(
        reply_deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    policy = selectors.policy_for(w.program)
    policy.nomination_deadline = timezone.now() - dt.timedelta(minutes=1)
    policy.save()
    with pytest.raises(DomainError, match="已过调训名单报送截止时间"):
        services.nomination_create(
            quota=w.q_county, user=UserFactory(unit=w.county_a), by=w.liaison
        )


def test_the_pdf_has_the_official_parts(world, tmp_path):
    w = prepare(world)
    notice = sent(w)
    pdf = notice_pdf_bytes(notice)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for part in (
        notice.title,
        "云组干调〔2026〕12号",
        "各有关单位",
        "回执截止时间",
        "王老师,0871-6000000",
        w.county_a.name,
        "附表",
        notice.issuing_unit,
        f"{notice.issue_date.year}年{notice.issue_date.month}月{notice.issue_date.day}日",
    ):
        assert part in text, part
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert notice.title in info and "595.276 x 841.89" in info  # A4
