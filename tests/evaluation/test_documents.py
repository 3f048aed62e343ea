"""Issue 13 for evaluation's documents: the certificate states the period and hours, carries a
PDF title, links its QR to the address in use, and downloads with a Chinese file name; the
reflection collection too."""

import subprocess
from decimal import Decimal
from io import BytesIO

import pytest
import segno
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from core.links import using_base
from core.models import GeneratedFile
from evaluation import services, tasks
from evaluation.models import Grade
from tests.evaluation.factories import make_assignment, make_certificate, make_reflection

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_certificate_states_the_training_period_and_the_hours_earned_and_has_a_title(world):
    """The hours are those the trainee earned by the credit rule (3 present + 4 late at 50%),
    not the program's nominal 48."""
    from attendance.models import AttendanceStatus
    from tests.factories import AttendanceRecordFactory, SessionFactory

    world.program.credit_hours = Decimal("48")
    world.program.save()
    world.session.credit_hours = Decimal("3")
    world.session.save()
    AttendanceRecordFactory(session=world.session, user=world.trainee)
    late = SessionFactory(program=world.program, credit_hours=Decimal("4"))
    AttendanceRecordFactory(session=late, user=world.trainee, status=AttendanceStatus.LATE)
    cert = make_certificate(world.program, world.trainee)
    pdf = services.certificate_pdf(cert=cert)
    text = "".join(_text(pdf).split())
    start, end = world.program.start_date, world.program.end_date
    assert f"{start.year}年{start.month}月{start.day}日" in text
    assert f"{end.year}年{end.month}月{end.day}日" in text
    assert "共计5学时" in text and "48学时" not in text
    title = PdfReader(BytesIO(pdf)).metadata.title
    assert "结业证书" in title and cert.holder_name in title and cert.program_title in title


def test_without_declared_hours_the_certificate_counts_the_sessions_held(world):
    from programs.models import Session

    world.program.credit_hours = Decimal("0")
    world.program.save()
    Session.objects.filter(program=world.program).update(credit_hours=Decimal("3"))
    held = Session.objects.filter(program=world.program).count()
    from evaluation import selectors

    assert selectors.program_credit_hours(program=world.program) == Decimal(3 * held)


@override_settings(SITE_URL="")
def test_the_qr_links_to_the_address_in_use_when_no_site_url_is_set(world):
    cert = make_certificate(world.program, world.trainee)
    with using_base("http://192.0.2.10:8123"):
        url = services.certificate_verify_url(cert=cert)
        svg = services.certificate_qr_svg(cert=cert)
        pdf = services.certificate_pdf(cert=cert)
    assert url == f"http://192.0.2.10:8123/evaluation/verify/{cert.serial}/"
    # No QR decoder is installed here: the code drawn is exactly the one for that URL.
    assert svg == segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    assert "localhost" not in _text(pdf)


@override_settings(SITE_URL="https://px.example.cn")
def test_a_configured_site_url_wins(world, rf):
    cert = make_certificate(world.program, world.trainee)
    request = rf.get("/", HTTP_HOST="127.0.0.1:8000")
    assert services.certificate_verify_url(cert=cert, request=request).startswith(
        "https://px.example.cn/evaluation/verify/"
    )


def test_certificate_and_collection_download_with_chinese_file_names(world, client):
    cert = make_certificate(world.program, world.trainee)
    assert services.certificate_filename(cert) == f"结业证书-{cert.holder_name}-{cert.serial}.pdf"
    a = make_assignment(world.program, title="学习体会")
    make_reflection(a, world.trainee, grade=Grade.EXCELLENT)
    assert services.reflection_collection_filename(a) == (
        f"优秀心得汇编-{world.program.title}-学习体会.pdf"
    )

    client.force_login(world.trainee)
    client.post(reverse("evaluation:certificate_pdf", args=[cert.pk]))
    gf = GeneratedFile.objects.get(kind="evaluation.certificate")
    if gf.status != GeneratedFile.Status.DONE:  # the broker queue in this run is not eager
        tasks.certificate_pdf_task(str(gf.pk), cert.pk)
        gf.refresh_from_db()
    assert gf.filename == services.certificate_filename(cert)
    response = client.get(reverse("generated_file_download", args=[gf.pk]))
    assert response.status_code == 200
    assert (
        "filename*=utf-8''%E7%BB%93%E4%B8%9A%E8%AF%81%E4%B9%A6" in response["Content-Disposition"]
    )


# --- Reflection attachments ----------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _submit_with_attachment(world, name="体会.pdf", content=PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evaluation.factories import long_essay

    a = make_assignment(world.program, attachment_types="pdf,docx")
    return services.reflection_submit(
        assignment=a,
        user=world.trainee,
        body=long_essay(),
        attachment=SimpleUploadedFile(name, content, content_type="application/pdf"),
    )


def test_a_reviewer_opens_the_attachment_and_an_outsider_gets_404(world, client):
    r = _submit_with_attachment(world)
    assert r.attachment.name.endswith("/attachment.pdf")
    url = reverse("evaluation:reflection_attachment", args=[r.pk])
    client.force_login(world.manager)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and "utf-8''" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(world.outsider)
    assert client.get(url).status_code == 404
    client.force_login(world.trainee)
    assert client.get(url).status_code == 200
    body = client.get(reverse("evaluation:reflection_write", args=[r.assignment_id])).content
    assert url.encode() in body and b"/media/" not in body


def test_an_executable_renamed_to_pdf_is_refused(world):
    from core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        _submit_with_attachment(world, name="体会.pdf", content=b"MZ\x90\x00" + b"\x00" * 200)
    assert exc.value.field == "attachment"


def test_unknown_attachment_types_are_refused_when_setting_the_task(world):
    from core.errors import DomainError

    with pytest.raises(DomainError, match="不支持的附件类型"):
        services.assignment_create(
            program=world.program,
            title="体会",
            prompt="写",
            deadline=_later(),
            min_chars=10,
            attachment_types="pdf,exe",
            by=world.manager,
        )


def _later():
    import datetime as dt

    from django.utils import timezone

    return timezone.now() + dt.timedelta(days=3)
