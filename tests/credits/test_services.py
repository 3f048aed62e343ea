"""Filing and deciding training records: who may, what is refused (with a message and nothing
written), the two approval levels, audit and notices."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from core.errors import DomainError
from core.models import AuditLog, Notification
from credits.models import ApprovalPolicy, CreditEntry
from credits.services import EntryData, entry_decide, entry_file
from tests.credits.factories import entry_for
from tests.credits.permissions_table import PDF

pytestmark = pytest.mark.django_db
D = Decimal


def data(**over):
    fields = {
        "kind": "external_class",
        "title": "省委党校中青年干部培训班",
        "start_date": dt.date(2026, 5, 11),
        "end_date": dt.date(2026, 5, 15),
        "category": "required",
        "mode": "full_time",
        "organizer_name": "省委党校",
        "hours": D("36"),
        "evidence_link": "https://example.org/cert/1",
    }
    fields.update(over)
    return EntryData(**fields)


def pdf(name="结业证书.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_cadre_files_with_a_certificate_and_it_waits_for_the_unit(world):
    entry = entry_file(
        cadre=world.trainee, data=data(evidence_link=""), evidence=pdf(), by=world.trainee
    )
    assert entry.status == CreditEntry.Status.UNIT_PENDING
    assert entry.evidence.name.endswith(".pdf") and entry.evidence_name == "结业证书.pdf"
    assert AuditLog.objects.filter(action="credits.entry.file", target_id=str(entry.pk)).exists()


def test_hours_come_from_the_conversion_rules_when_left_blank(world):
    entry = entry_file(
        cadre=world.trainee, data=data(hours=None, days=D("4"), half_days=1), by=world.trainee
    )
    assert entry.hours == D("33.0")  # 4 × 7.5 + 3


def test_the_liaison_files_for_a_cadre_of_their_unit_who_is_notified(world):
    entry_file(cadre=world.trainee, data=data(), by=world.liaison)
    note = Notification.objects.get(user=world.trainee)
    assert "联络员甲" in note.title and note.params["title"] == "省委党校中青年干部培训班"


def test_nobody_else_files_for_a_cadre(world):
    for by in (world.other_trainee, world.outsider, world.venue_manager, world.organizer):
        with pytest.raises(PermissionDenied):
            entry_file(cadre=world.trainee, data=data(), by=by)
    assert not CreditEntry.objects.exists()


@pytest.mark.parametrize(
    "over, message",
    [
        ({"end_date": dt.date(2026, 5, 10)}, "结束日期不能早于开始日期"),
        ({"evidence_link": ""}, "证明材料"),
        ({"hours": D("1000.1")}, "0 至 1000"),
        ({"hours": D("-0.1")}, "0 至 1000"),
        ({"hours": D("NaN")}, "0 至 1000"),
        ({"hours": D("Infinity")}, "0 至 1000"),
        ({"hours": None}, "请填写学时"),
        ({"kind": "paper", "hours": D("20.1")}, "超过上限"),
        ({"kind": "lectern_session"}, "来源"),
        ({"title": "  "}, "名称"),
    ],
)
def test_bad_records_are_refused_with_a_message_and_nothing_is_written(world, over, message):
    with pytest.raises(DomainError, match=message):
        entry_file(cadre=world.trainee, data=data(**over), by=world.trainee)
    assert not CreditEntry.objects.exists()


def test_hours_at_the_category_cap_are_accepted(world):
    entry = entry_file(
        cadre=world.trainee, data=data(kind="paper", hours=D("20")), by=world.trainee
    )
    assert entry.hours == D("20")


def test_evidence_that_is_not_a_document_or_image_is_refused(world):
    fake = SimpleUploadedFile("证书.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    with pytest.raises(DomainError):
        entry_file(cadre=world.trainee, data=data(), evidence=fake, by=world.trainee)
    assert not CreditEntry.objects.exists()


def test_a_duplicate_record_same_person_title_date_is_refused(world):
    entry_file(cadre=world.trainee, data=data(), by=world.trainee)
    with pytest.raises(DomainError, match="不能重复登记"):
        entry_file(cadre=world.trainee, data=data(hours=D("10")), by=world.liaison)
    assert CreditEntry.objects.count() == 1
    # another day, or another person, is a different record
    entry_file(cadre=world.trainee, data=data(start_date=dt.date(2026, 5, 12)), by=world.trainee)


def test_the_database_refuses_a_duplicate_and_out_of_bounds_hours(world):
    entry_for(world.trainee, title="甲")
    with pytest.raises(IntegrityError), transaction.atomic():
        entry_for(world.trainee, title="甲")
    with pytest.raises(IntegrityError), transaction.atomic():
        entry_for(world.trainee, title="乙", hours=D("-1"))


def test_a_rejected_record_may_be_filed_again(world):
    entry = entry_file(cadre=world.trainee, data=data(), by=world.trainee)
    entry_decide(entry=entry, approve=False, reason="证书不清晰", by=world.liaison)
    entry_file(cadre=world.trainee, data=data(), by=world.trainee)
    assert CreditEntry.objects.count() == 2


def test_unit_then_department_approve_and_the_cadre_follows_each_step(world):
    entry = entry_file(cadre=world.trainee, data=data(), by=world.trainee)
    with pytest.raises(PermissionDenied):  # another city's organizer
        entry_decide(entry=entry, approve=True, by=world.outsider)
    entry = entry_decide(entry=entry, approve=True, by=world.liaison)
    assert (
        entry.status == CreditEntry.Status.DEPT_PENDING and entry.unit_decided_by == world.liaison
    )
    with pytest.raises(PermissionDenied):
        entry_decide(entry=entry, approve=True, by=world.organizer)
    entry = entry_decide(entry=entry, approve=True, by=world.admin)
    assert entry.status == CreditEntry.Status.APPROVED and entry.dept_decided_by == world.admin
    actions = set(AuditLog.objects.filter(target_id=str(entry.pk)).values_list("action", flat=True))
    assert {"credits.entry.unit.approve", "credits.entry.dept.approve"} <= actions
    titles = list(
        Notification.objects.filter(user=world.trainee)
        .order_by("pk")
        .values_list("title", flat=True)
    )
    assert "待组织部审核" in titles[0] and "已认定" in titles[1]
    with pytest.raises(DomainError, match="已处理"):
        entry_decide(entry=entry, approve=False, reason="x", by=world.admin)


def test_a_rejection_must_say_why_and_the_reason_reaches_the_cadre(world):
    entry = entry_file(cadre=world.trainee, data=data(), by=world.trainee)
    with pytest.raises(DomainError, match="原因"):
        entry_decide(entry=entry, approve=False, reason=" ", by=world.liaison)
    entry = entry_decide(entry=entry, approve=False, reason="学时与通知不符", by=world.liaison)
    assert entry.status == CreditEntry.Status.REJECTED and entry.reject_reason == "学时与通知不符"
    note = Notification.objects.get(user=world.trainee)
    assert "退回" in note.title and "学时与通知不符" in note.body
    log = AuditLog.objects.get(action="credits.entry.unit.reject")
    assert log.reason == "学时与通知不符"


def test_nobody_decides_their_own_record(world):
    entry = entry_file(cadre=world.liaison, data=data(), by=world.liaison)
    with pytest.raises(DomainError, match="本人"):
        entry_decide(entry=entry, approve=True, by=world.liaison)
    entry = entry_file(cadre=world.admin, data=data(), by=world.admin)
    with pytest.raises(DomainError, match="本人"):
        entry_decide(entry=entry, approve=True, by=world.admin)
    assert set(CreditEntry.objects.values_list("status", flat=True)) == {"unit_pending"}


def test_without_unit_review_a_record_goes_straight_to_the_department(world):
    ApprovalPolicy.objects.create(
        unit=world.city_a, effective_from=dt.date(2024, 1, 1), unit_review=False
    )
    entry = entry_file(cadre=world.trainee, data=data(), by=world.trainee)
    assert entry.status == CreditEntry.Status.DEPT_PENDING
    other = entry_file(cadre=world.other_trainee, data=data(), by=world.other_trainee)
    assert other.status == CreditEntry.Status.UNIT_PENDING
