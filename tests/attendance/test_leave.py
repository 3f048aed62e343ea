"""Leave: request with reason and attachment, approve/reject, on-leave records, notifications."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from attendance import services
from attendance.models import AttendanceRecord, AttendanceStatus, LeaveRequest
from core.errors import DomainError
from core.models import Notification
from tests.attendance.conftest import retime
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(autouse=True)
def _upcoming(world):
    """Leave is asked for sessions that have not ended: the world's session is tomorrow."""
    retime(world.session, start_offset_min=24 * 60)


def _second_session(world):
    s = SessionFactory(
        program=world.program,
        venue=world.venue,
        topic="乡村振兴专题",
        start=world.session.start + dt.timedelta(days=1),
        end=world.session.end + dt.timedelta(days=1),
    )
    return s


def test_trainee_requests_leave_and_manager_is_notified(world, client_for):
    second = _second_session(world)
    response = client_for(world.trainee).post(
        reverse("attendance:leave_new", args=[world.program.pk]),
        {
            "sessions": [world.session.pk, second.pk],
            "reason": "参加县防汛值班",
            "attachment": SimpleUploadedFile("note.pdf", PDF, "application/pdf"),
        },
    )
    leave = LeaveRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("attendance:leave_detail", args=[leave.pk])
    assert set(leave.sessions.all()) == {world.session, second}
    assert leave.attachment.name.endswith(".pdf")
    assert Notification.objects.filter(user=world.manager, kind="attendance.leave").exists()


def test_attachment_checked_by_content_and_size(world, client_for, settings):
    fake = SimpleUploadedFile("note.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client_for(world.trainee).post(
        reverse("attendance:leave_new", args=[world.program.pk]),
        {"sessions": [world.session.pk], "reason": "病假", "attachment": fake},
    )
    assert response.status_code == 200
    assert "PDF、JPG 或 PNG" in response.content.decode()
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * services.MAX_ATTACHMENT_BYTES)
    with pytest.raises(DomainError, match="不能超过"):
        services.leave_request_create(
            user=world.trainee,
            program=world.program,
            session_ids=[world.session.pk],
            reason="病假",
            attachment=big,
        )
    assert not LeaveRequest.objects.exists()


def test_leave_needs_reason_sessions_and_enrollment(world):
    with pytest.raises(DomainError):
        services.leave_request_create(
            user=world.trainee, program=world.program, session_ids=[world.session.pk], reason=""
        )
    with pytest.raises(DomainError):
        services.leave_request_create(
            user=world.trainee, program=world.program, session_ids=[], reason="事假"
        )
    with pytest.raises(DomainError):
        services.leave_request_create(
            user=world.other_trainee,
            program=world.program,
            session_ids=[world.session.pk],
            reason="事假",
        )


def test_no_leave_for_a_session_already_attended_or_already_requested(world):
    services.leave_request_create(
        user=world.trainee, program=world.program, session_ids=[world.session.pk], reason="事假"
    )
    with pytest.raises(DomainError, match="已有"):
        services.leave_request_create(
            user=world.trainee, program=world.program, session_ids=[world.session.pk], reason="事假"
        )
    second = _second_session(world)
    AttendanceRecord.objects.create(
        session=second, user=world.trainee, source="qr", status="present", checkin_at=second.start
    )
    with pytest.raises(DomainError, match="已签到"):
        services.leave_request_create(
            user=world.trainee, program=world.program, session_ids=[second.pk], reason="事假"
        )


def test_approval_makes_sessions_on_leave_and_notifies_trainee(world, client_for):
    second = _second_session(world)
    absent = AttendanceRecord.objects.create(
        session=second, user=world.trainee, source="auto", status="absent"
    )
    leave = services.leave_request_create(
        user=world.trainee,
        program=world.program,
        session_ids=[world.session.pk, second.pk],
        reason="住院治疗",
    )
    response = client_for(world.manager).post(
        reverse("attendance:leave_decide", args=[leave.pk]),
        {"decision": "approve", "note": "同意"},
    )
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveRequest.Status.APPROVED and leave.decided_by == world.manager
    statuses = set(
        AttendanceRecord.objects.filter(user=world.trainee).values_list("status", flat=True)
    )
    assert statuses == {AttendanceStatus.ON_LEAVE}
    absent.refresh_from_db()
    assert absent.source == "leave"
    assert Notification.objects.filter(user=world.trainee, kind="attendance.leave").exists()
    # Deciding twice is refused with a message, not a 500.
    again = client_for(world.manager).post(
        reverse("attendance:leave_decide", args=[leave.pk]), {"decision": "reject"}, follow=True
    )
    assert "已处理" in again.content.decode()


def test_rejection_needs_a_note_and_writes_no_records(world):
    leave = services.leave_request_create(
        user=world.trainee, program=world.program, session_ids=[world.session.pk], reason="事假"
    )
    with pytest.raises(DomainError):
        services.leave_request_decide(leave=leave, approve=False, note="", by=world.manager)
    services.leave_request_decide(
        leave=leave, approve=False, note="课程重要,请安排工作", by=world.manager
    )
    assert LeaveRequest.objects.get().status == LeaveRequest.Status.REJECTED
    assert not AttendanceRecord.objects.exists()


def test_trainee_can_cancel_own_pending_request(world, client_for):
    leave = services.leave_request_create(
        user=world.trainee, program=world.program, session_ids=[world.session.pk], reason="事假"
    )
    client_for(world.trainee).post(reverse("attendance:leave_cancel", args=[leave.pk]))
    assert LeaveRequest.objects.get().status == LeaveRequest.Status.CANCELLED


def test_leave_counts_as_attended_only_by_policy(world):
    from attendance.selectors import rates_for
    from tests.attendance.conftest import retime

    retime(world.session, start_offset_min=-10)
    leave = services.leave_request_create(
        user=world.trainee, program=world.program, session_ids=[world.session.pk], reason="事假"
    )
    services.leave_request_decide(leave=leave, approve=True, note="", by=world.manager)
    mine = [world.trainee.pk]
    assert rates_for(program=world.program, user_ids=mine)[world.trainee.pk].rate == 0.0
    world.program.leave_counts_as_attended = True
    assert rates_for(program=world.program, user_ids=mine)[world.trainee.pk].rate == 100.0


def test_an_attachment_is_stored_and_served_as_what_its_bytes_are(world, client_for):
    """A file named proof.html that starts like a PDF is a PDF: stored under a name of ours with
    .pdf, served as application/pdf, never as the HTML page its name claims."""
    sneaky = SimpleUploadedFile("proof.html", PDF + b"<h1>phish</h1>", "text/html")
    leave = services.leave_request_create(
        user=world.trainee,
        program=world.program,
        session_ids=[world.session.pk],
        reason="病假",
        attachment=sneaky,
    )
    name = leave.attachment.name.rsplit("/", 1)[-1]
    assert name.endswith(".pdf") and "proof" not in name
    response = client_for(world.manager).get(
        reverse("attendance:leave_attachment", args=[leave.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert not response.get("Content-Disposition", "").startswith("attachment")


def test_an_attachment_stored_under_another_name_is_only_a_download(world, client_for):
    from django.core.files.base import ContentFile

    leave = LeaveRequest.objects.create(program=world.program, user=world.trainee, reason="事假")
    leave.attachment.save("old.html", ContentFile(PDF + b"<h1>x</h1>"), save=True)
    response = client_for(world.manager).get(
        reverse("attendance:leave_attachment", args=[leave.pk])
    )
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_the_attachment_is_served_only_through_the_access_checked_view(world, client_for):
    """Issue 12 item 10: the class manager and the trainee open it; an outsider, another trainee
    and a venue manager get a 404; /media/ serves nothing."""
    leave = services.leave_request_create(
        user=world.trainee,
        program=world.program,
        session_ids=[world.session.pk],
        reason="病假",
        attachment=SimpleUploadedFile("诊断证明.pdf", PDF, "application/pdf"),
    )
    url = reverse("attendance:leave_attachment", args=[leave.pk])
    for user in (world.manager, world.trainee):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert "filename*=utf-8''%e8%af%b7%e5%81%87" in response["Content-Disposition"].lower()
    for user in (world.outsider, world.other_trainee, world.venue_manager):
        assert client_for(user).get(url).status_code == 404
    assert client_for(world.manager).get("/media/" + leave.attachment.name).status_code == 404
    page = client_for(world.manager).get(reverse("attendance:leave_detail", args=[leave.pk]))
    assert url in page.content.decode() and "/media/" not in page.content.decode()
