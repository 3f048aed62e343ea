"""Manual marks: one or many, with a reason, every change in the trail and on the record page."""

import pytest
from django.urls import reverse
from django.utils import timezone

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


# --- Suspected proxy check-ins: looked into, cleared with a reason ----------------------------
def _flagged(world):
    return AttendanceRecord.objects.create(
        session=world.session,
        user=world.trainee,
        source="qr",
        status="present",
        checkin_at=world.session.start,
        device_id="shared-phone",
        flagged=True,
    )


def test_manager_clears_a_flag_with_a_reason_and_the_trail_shows_it(world, client_for):
    record = _flagged(world)
    client = client_for(world.manager)
    url = reverse("attendance:record", args=[record.pk])
    page = client.get(url).content.decode()
    assert (
        "核实疑似代签" in page and reverse("attendance:record_clear_flag", args=[record.pk]) in page
    )

    response = client.post(
        reverse("attendance:record_clear_flag", args=[record.pk]),
        {"reason": "经核实本人在场,手机没电借用同桌手机"},
        follow=True,
    )
    body = response.content.decode()
    assert "已取消疑似代签标记" in body
    assert "核实疑似代签" not in body  # the form goes with the flag
    assert "经核实本人在场" in body  # the trail on the record page
    record.refresh_from_db()
    assert not record.flagged
    assert (record.status, record.checkin_at) == ("present", world.session.start)
    entry = AuditLog.objects.get(action="attendance.clear_flag")
    assert entry.actor == world.manager and entry.reason == "经核实本人在场,手机没电借用同桌手机"
    assert entry.before["flagged"] is True and entry.after["flagged"] is False


def test_clearing_a_flag_needs_a_reason_and_a_flag(world, client_for):
    record = _flagged(world)
    client = client_for(world.manager)
    url = reverse("attendance:record_clear_flag", args=[record.pk])
    body = client.post(url, {"reason": "  "}, follow=True).content.decode()
    assert "必须填写核实情况" in body
    record.refresh_from_db()
    assert record.flagged and not AuditLog.objects.filter(action="attendance.clear_flag").exists()

    AttendanceRecord.objects.filter(pk=record.pk).update(flagged=False)
    with pytest.raises(DomainError):
        services.record_clear_flag(record=record, reason="再次核实", by=world.manager)


def test_trainee_sees_the_flag_but_no_form_and_cannot_clear_it(world, client_for):
    record = _flagged(world)
    client = client_for(world.trainee)
    page = client.get(reverse("attendance:record", args=[record.pk])).content.decode()
    assert "疑似代签" in page and "核实疑似代签" not in page
    response = client.post(
        reverse("attendance:record_clear_flag", args=[record.pk]), {"reason": "我在场"}
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.flagged


def test_a_proxy_check_in_marked_absent_no_longer_counts_as_checked_in(world, client_for):
    """What the record page tells managers to do with a confirmed proxy: mark absent. The board
    must then count the trainee as missing, the flag must go, and leave is possible again."""
    from attendance.selectors import session_board

    record = _flagged(world)
    services.records_mark(
        session=world.session,
        user_ids=[world.trainee.pk],
        status=AttendanceStatus.ABSENT,
        reason="核实为他人代签",
        by=world.manager,
    )
    record.refresh_from_db()
    assert (record.status, record.checkin_at, record.flagged) == ("absent", None, False)
    board = session_board(session=world.session)
    assert (board.checked_in, board.flagged) == (0, 0)
    entry = AuditLog.objects.get(action="attendance.mark")
    assert entry.before["checkin_at"] and entry.before["flagged"] is True  # kept in the trail


def test_a_left_early_mark_without_a_scan_counts_as_there(world):
    """A manual mark keeps the time it was entered as its check-in time (issue 13), not the
    session start, and no venue: the board counts it at the trainee's own venue."""
    from attendance.selectors import session_board

    before = timezone.now()
    services.records_mark(
        session=world.session,
        user_ids=[world.trainee.pk],
        status=AttendanceStatus.LEFT_EARLY,
        reason="纸质签到表",
        by=world.manager,
    )
    record = AttendanceRecord.objects.get(session=world.session, user=world.trainee)
    assert before <= record.checkin_at <= timezone.now()
    assert record.checkin_at != world.session.start and record.venue_id is None
    board = session_board(session=world.session)
    assert board.checked_in == 1 and board.venue(world.branch_venue.pk).checked_in == 1


def test_a_malformed_trainee_id_in_the_mark_form_is_a_message_not_a_500(world, client_for):
    response = client_for(world.manager).post(
        reverse("attendance:mark", args=[world.session.pk]),
        {"users": ["x", "1; drop"], "status": "present", "reason": "补记"},
        follow=True,
    )
    assert response.status_code == 200 and "请至少选择一名本班学员" in response.content.decode()
    assert not AttendanceRecord.objects.exists()
