"""Certificates follow the confirmed result: a holder who no longer passes on re-confirmation
loses the certificate (revoked, logged, told), the public check says so, the PDF is refused;
passing again brings the same serial back. Confirmation is a fixed number of queries."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from attendance.models import AttendanceStatus
from core.errors import DomainError
from core.models import AuditLog, GeneratedFile, Notification
from enrollment.models import Enrollment
from evaluation import files, selectors, services
from evaluation.models import Certificate, Completion
from tests.evaluation.factories import attend, attendees
from tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(world):
    """A finished session the world's trainee attended; the program needs attendance only."""
    world.program.completion_requires_reflection = False
    world.program.completion_min_attendance_rate = 100
    world.program.save()
    s = world.session
    s.start = timezone.now() - dt.timedelta(days=2)
    s.end = s.start + dt.timedelta(hours=3)
    s.save()
    attend(s, world.trainee)
    return s


def _certified(world):
    services.completion_confirm(program=world.program, by=world.organizer)
    return Certificate.objects.get(completion__user=world.trainee)


def test_reconfirmation_revokes_the_certificate_of_a_holder_who_no_longer_passes(world, held):
    cert = _certified(world)
    assert not cert.is_revoked
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)  # record corrected

    result = services.completion_confirm(program=world.program, by=world.manager)

    assert result["revoked"] == 1 and result["issued"] == 0 and result["passed"] == 0
    cert.refresh_from_db()
    assert cert.is_revoked and cert.revoked_by == world.manager
    assert "出勤率 0.0%" in cert.revoked_reason
    assert not Completion.objects.get(user=world.trainee).passed
    entry = AuditLog.objects.get(action="certificate.revoke")
    assert entry.target_id == str(cert.pk) and entry.actor == world.manager
    assert entry.after["serial"] == cert.serial and "出勤率" in entry.reason
    note = Notification.objects.get(user=world.trainee, kind="certificate_revoked")
    assert world.program.title in note.title and "撤销" in note.title
    # Confirming again changes nothing more: no second revocation, no second message.
    revoked_at = cert.revoked_at
    again = services.completion_confirm(program=world.program, by=world.organizer)
    assert again["revoked"] == 0
    cert.refresh_from_db()
    assert cert.revoked_at == revoked_at
    assert Notification.objects.filter(kind="certificate_revoked").count() == 1
    assert selectors.my_certificates(user=world.trainee).count() == 0
    assert selectors.my_certificates(user=world.trainee, include_revoked=True).get() == cert


def test_passing_again_reinstates_the_same_serial(world, held):
    cert = _certified(world)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    services.completion_confirm(program=world.program, by=world.organizer)
    attend(held, world.trainee)  # the absence was a mistake

    result = services.completion_confirm(program=world.program, by=world.organizer)

    assert result == {"trainees": 1, "passed": 1, "issued": 0, "revoked": 0, "reinstated": 1}
    assert Certificate.objects.count() == 1
    again = Certificate.objects.get()
    assert again.pk == cert.pk and again.serial == cert.serial and again.issued_on == cert.issued_on
    assert not again.is_revoked and again.revoked_reason == "" and again.revoked_by is None
    assert AuditLog.objects.filter(action="certificate.reinstate", target_id=str(cert.pk)).exists()
    assert Notification.objects.filter(user=world.trainee, kind="certificate_reinstated").exists()
    # the "issued" message is not sent a second time
    assert Notification.objects.filter(user=world.trainee, kind="completion").count() == 1


def test_a_holder_who_withdrew_loses_the_certificate_on_reconfirmation(world, held):
    cert = _certified(world)
    Enrollment.objects.filter(user=world.trainee, program=world.program).update(
        status=Enrollment.Status.WITHDRAWN
    )
    result = services.completion_confirm(program=world.program, by=world.organizer)
    assert result["revoked"] == 1 and result["trainees"] == 0
    cert.refresh_from_db()
    assert cert.is_revoked and "不在本班录取学员名单中" in cert.revoked_reason
    completion = Completion.objects.get(user=world.trainee)
    assert not completion.passed and completion.reasons == ["不在本班录取学员名单中"]


def test_completion_page_counts_a_withdrawn_holder_among_those_it_would_revoke(
    world, held, client_for
):
    """The warning before confirming counts every certificate the confirmation would revoke,
    including those of holders who are no longer enrolled (they are not in the table)."""
    _certified(world)
    Enrollment.objects.filter(user=world.trainee, program=world.program).update(
        status=Enrollment.Status.WITHDRAWN
    )
    body = (
        client_for(world.manager)
        .get(reverse("evaluation:completion", args=[world.program.pk]))
        .content.decode()
    )
    assert "按当前规则,1 名已发证学员不再符合结业条件" in body


def test_revocation_is_undone_with_the_rest_when_confirmation_fails(world, held, monkeypatch):
    cert = _certified(world)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)

    def boom(**kwargs):
        raise RuntimeError("mail store down")

    monkeypatch.setattr(services.completion, "notify_many", boom)  # where the service looks it up
    with pytest.raises(RuntimeError):
        services.completion_confirm(program=world.program, by=world.organizer)
    cert.refresh_from_db()
    assert not cert.is_revoked and Completion.objects.get(user=world.trainee).passed
    assert not AuditLog.objects.filter(action="certificate.revoke").exists()


def test_public_check_of_a_revoked_certificate_says_revoked_with_the_date(client, world, held):
    cert = _certified(world)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    services.completion_confirm(program=world.program, by=world.organizer)
    cert.refresh_from_db()
    body = client.get(reverse("evaluation:verify", args=[cert.serial])).content.decode()
    assert "该证书已撤销" in body and "证书真实有效" not in body
    assert timezone.localtime(cert.revoked_at).strftime("%Y年%-m月%-d日") in body
    assert "出勤率" not in body  # the reason stays private


def test_trainee_list_marks_a_revoked_certificate_and_offers_no_download(world, held, client_for):
    cert = _certified(world)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    services.completion_confirm(program=world.program, by=world.organizer)
    body = client_for(world.trainee).get(reverse("evaluation:index")).content.decode()
    assert cert.serial in body and "已撤销" in body
    assert reverse("evaluation:certificate_pdf", args=[cert.pk]) not in body


def test_downloading_a_revoked_certificate_is_refused_with_a_message(world, held, client_for):
    cert = _certified(world)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    services.completion_confirm(program=world.program, by=world.organizer)
    url = reverse("evaluation:certificate_pdf", args=[cert.pk])

    response = client_for(world.trainee).post(url)
    assert response.status_code == 302 and response["Location"] == reverse("evaluation:index")
    assert any("已于" in str(m) and "撤销" in str(m) for m in get_messages(response.wsgi_request))
    response = client_for(world.manager).post(url)
    assert response["Location"] == reverse("evaluation:completion", args=[world.program.pk])
    assert not GeneratedFile.objects.filter(kind="evaluation.certificate").exists()
    cert.refresh_from_db()
    with pytest.raises(DomainError, match="撤销"):
        services.certificate_pdf(cert=cert)


def test_a_pdf_made_before_revocation_can_no_longer_be_fetched(world, held, client_for):
    cert = _certified(world)
    client_for(world.trainee).post(reverse("evaluation:certificate_pdf", args=[cert.pk]))
    gf = GeneratedFile.objects.get(kind="evaluation.certificate")
    assert files.can_access(user=world.trainee, generated_file=gf)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    services.completion_confirm(program=world.program, by=world.organizer)
    assert not files.can_access(user=world.trainee, generated_file=gf)
    assert not files.can_access(user=world.manager, generated_file=gf)


def test_completion_page_warns_before_revoking_and_marks_revoked_rows(world, held, client_for):
    cert = _certified(world)
    attend(held, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)
    client = client_for(world.manager)
    url = reverse("evaluation:completion", args=[world.program.pk])
    body = client.get(url).content.decode()
    assert "重新确认将撤销其证书" in body
    response = client.post(reverse("evaluation:completion_confirm", args=[world.program.pk]))
    assert any("证书已撤销" in str(m) for m in get_messages(response.wsgi_request))
    body = client.get(url).content.decode()
    assert "重新确认将撤销其证书" not in body and "已撤销" in body
    assert reverse("evaluation:certificate_pdf", args=[cert.pk]) not in body


# --- Query counts ---------------------------------------------------------------------------


def _confirm_queries(world):
    with CaptureQueriesContext(connection) as ctx:
        services.completion_confirm(program=world.program, by=world.organizer)
    return len(ctx)


def test_confirmation_queries_do_not_grow_with_the_class(world, held):
    """First confirmation (all issued), then one where a third fail (revoked), then one where
    they pass again (reinstated): each the same number of queries at 4 and 16 trainees."""
    counts = {}
    _confirm_queries(world)  # warm per-process caches (e.g. the auditor's roles) first
    for size in (4, 16):
        Certificate.objects.all().delete()
        Completion.objects.all().delete()
        Enrollment.objects.filter(program=world.program).delete()
        s = SessionFactory(
            program=world.program,
            start=timezone.now() - dt.timedelta(days=1),
            end=timezone.now() - dt.timedelta(days=1) + dt.timedelta(hours=2),
        )
        for old in world.program.sessions.exclude(pk=s.pk):
            old.delete()
        users = attendees(s, size, prefix=f"学员{size}-")
        first = _confirm_queries(world)
        assert Certificate.objects.count() == size
        failing = users[: size // 4 + 1]
        for u in failing:
            attend(s, u, status=AttendanceStatus.ABSENT, checkin=False)
        second = _confirm_queries(world)
        assert Certificate.objects.filter(revoked_at__isnull=False).count() == len(failing)
        for u in failing:
            attend(s, u)
        third = _confirm_queries(world)
        assert not Certificate.objects.filter(revoked_at__isnull=False).exists()
        counts[size] = (first, second, third)
    assert counts[4] == counts[16], counts
