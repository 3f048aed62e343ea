"""Manual marks: one or many, with a reason, every change in the trail and on the record page."""

import pytest
from django.urls import reverse

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus
from core.errors import DomainError
from core.models import AuditLog
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_marking_many_trainees_logs_each_change(world):
    others = [UserFactory() for _ in range(3)]
    for u in others:
        EnrollmentFactory(program=world.program, user=u)
    AttendanceRecord.objects.create(
        session=world.session,
        user=others[0],
        source="qr",
        status="late",
        checkin_at=world.session.start,
    )
    ids = [world.trainee.pk] + [u.pk for u in others]
    changed = services.records_mark(
        session=world.session,
        user_ids=ids,
        status="present",
        reason="集体乘车晚到,经核实",
        by=world.manager,
    )
    assert changed == 4
    assert AttendanceRecord.objects.filter(status="present", source="manual").count() == 4
    entry = AuditLog.objects.get(target_id=str(AttendanceRecord.objects.get(user=others[0]).pk))
    assert entry.actor == world.manager and entry.reason == "集体乘车晚到,经核实"
    assert entry.before["status"] == "late" and entry.after["status"] == "present"


def test_mark_needs_a_reason_and_an_enrolled_trainee(world):
    with pytest.raises(DomainError):
        services.records_mark(
            session=world.session,
            user_ids=[world.trainee.pk],
            status="present",
            reason=" ",
            by=world.manager,
        )
    with pytest.raises(DomainError):
        services.records_mark(
            session=world.session,
            user_ids=[world.other_trainee.pk],
            status="present",
            reason="x",
            by=world.manager,
        )
    with pytest.raises(DomainError):
        services.records_mark(
            session=world.session,
            user_ids=[world.trainee.pk],
            status="pending",
            reason="x",
            by=world.manager,
        )
    assert not AttendanceRecord.objects.exists()


def test_mark_view_shows_errors_as_messages_and_record_page_shows_trail(world, client_for):
    client = client_for(world.venue_manager)
    url = reverse("attendance:mark", args=[world.session.pk])
    response = client.post(url, {"users": [world.trainee.pk], "status": "absent"}, follow=True)
    assert "必须填写原因" in response.content.decode()
    response = client.post(
        url,
        {"users": [world.trainee.pk], "status": "absent", "reason": "未到课,电话未接"},
        follow=True,
    )
    assert "已更新 1 名学员" in response.content.decode()
    record = AttendanceRecord.objects.get()
    assert record.status == AttendanceStatus.ABSENT
    page = client_for(world.trainee).get(reverse("attendance:record", args=[record.pk]))
    body = page.content.decode()
    assert "未到课,电话未接" in body and "分课堂管理员" in body


def test_unchanged_status_is_not_logged_again(world):
    for _ in range(2):
        services.records_mark(
            session=world.session,
            user_ids=[world.trainee.pk],
            status="absent",
            reason="缺课",
            by=world.manager,
        )
    assert AuditLog.objects.filter(action="attendance.mark").count() == 1
