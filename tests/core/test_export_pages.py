"""Export control in the pages (issue 17 item 10): the reason asked in the page with nothing
half-written, watermarks every PDF and workbook carries without the caller asking, the optional
second approver, and every LECTERN_* setting the code reads declared in config/settings.py."""

import io
import re
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings as django_settings
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from core.exports import REASON_FIELD, start_export
from core.jobs import run_file_job
from core.links import remembering_request
from core.models import AuditLog, GeneratedFile, Notification
from core.pdf import html_to_pdf
from core.services import generated_file_approve, generated_file_start
from core.tabular import Column, Sheet, xlsx_bytes

pytestmark = pytest.mark.django_db


@shared_task(name="tests.core.export_pages_noop")
def export_noop(file_id):
    return file_id


def _request(user, data):
    request = RequestFactory().post("/enrollment/7/export/pdf/", data)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _start_roster(user, rows):
    return lambda reason: generated_file_start(
        owner=user,
        kind="roster",
        title="花名册",
        params={"program": 7},
        task=export_noop,
        rows=rows,
        personal=True,
        scope="YJC-2026",
        reason=reason,
    )


def test_a_missing_reason_is_asked_in_the_page_and_the_request_repeated_with_it(world, settings):
    settings.LECTERN_EXPORT_REASON_ROWS = 100
    request = _request(world.organizer, {"format": "pdf", "units": ["3", "4"]})
    response = start_export(request, _start_roster(world.organizer, 101), back_url="/back/")
    html = response.content.decode()
    assert response.status_code == 200 and "101" in html
    assert f'name="{REASON_FIELD}"' in html and "required" in html
    # the same request again: every field kept, posted to the same address
    assert 'action="/enrollment/7/export/pdf/"' in html and 'method="post"' in html
    assert 'name="format" value="pdf"' in html
    assert 'name="units" value="3"' in html and 'name="units" value="4"' in html
    assert not GeneratedFile.objects.exists()  # nothing half-written
    assert not AuditLog.objects.filter(action="export.create").exists()

    request = _request(world.organizer, {"format": "pdf", REASON_FIELD: "  年度 学时核对 "})
    response = start_export(request, _start_roster(world.organizer, 101), back_url="/back/")
    gf = GeneratedFile.objects.get()
    assert response.status_code == 302 and response.url == reverse("generated_file", args=[gf.pk])
    entry = AuditLog.objects.get(action="export.create")
    assert entry.reason == "年度 学时核对" and entry.after["rows"] == 101


def test_the_reason_field_partial_can_sit_in_any_export_form():
    from django.template.loader import render_to_string

    html = render_to_string("core/partials/export_reason_field.html")
    assert f'name="{REASON_FIELD}"' in html and "required" not in html


def test_a_file_job_marks_its_pdf_and_workbook_with_the_owner_and_time(world):
    gf = GeneratedFile.objects.create(owner=world.organizer, kind="core.t", title="名单")
    made = {}

    def work(g, progress):
        made["pdf"] = html_to_pdf("<h1>名单</h1>")  # the caller passes no watermark
        made["xlsx"] = xlsx_bytes([Sheet("名单", [Column("姓名")], [["张三"]])])
        return made["pdf"], "名单.pdf", "application/pdf"

    assert run_file_job(gf.pk, work) == "done"
    text = PdfReader(io.BytesIO(made["pdf"])).pages[0].extract_text()
    assert "w_org" in text and gf.created_at.astimezone().strftime("%Y") in text
    props = load_workbook(io.BytesIO(made["xlsx"])).properties
    assert "w_org" in props.description and "w_org" in props.keywords


def test_a_file_served_in_a_request_carries_the_requesting_users_mark(world):
    request = RequestFactory().get("/x/")
    request.user = world.manager
    with remembering_request(request):
        pdf = html_to_pdf("<p>签到表</p>")
        workbook = xlsx_bytes([Sheet("表", [Column("姓名")], [["李四"]])])
    assert world.manager.username in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert world.manager.username in load_workbook(io.BytesIO(workbook)).properties.description
    # outside a request or job (a command, a benchmark) and when asked for none: no mark
    assert not load_workbook(io.BytesIO(xlsx_bytes([]))).properties.description
    with remembering_request(request):
        plain = html_to_pdf("<p>x</p>", watermark=False)
    assert world.manager.username not in PdfReader(io.BytesIO(plain)).pages[0].extract_text()


def test_with_a_second_approver_the_job_waits_for_the_organization_department(
    world, settings, client_for
):
    settings.LECTERN_EXPORT_REASON_ROWS = 10
    settings.LECTERN_EXPORT_SECOND_APPROVER = True
    gf = _start_roster(world.organizer, 11)("核对名单")
    assert gf.status == GeneratedFile.Status.AWAITING and gf.task_id == ""
    assert AuditLog.objects.get(action="export.create").after["approval"] == "required"
    note = Notification.objects.get(user=world.admin, kind="export.approval")
    assert "核对名单" in note.display_body
    small = _start_roster(world.organizer, 10)("")  # below the threshold: runs at once
    assert small.status != GeneratedFile.Status.AWAITING

    # only the organization department decides, and never on its own export
    assert client_for(world.organizer).get(reverse("generated_file_approvals")).status_code == 403
    admin = client_for(world.admin)
    page = admin.get(reverse("generated_file_approvals")).content.decode()
    assert "核对名单" in page and "11" in page
    own = _start_roster(world.admin, 11)("自己的")
    admin.post(reverse("generated_file_approve", args=[own.pk]))
    own.refresh_from_db()
    assert own.status == GeneratedFile.Status.AWAITING
    assert str(own.pk) not in admin.get(reverse("generated_file_approvals")).content.decode()

    response = admin.post(reverse("generated_file_approve", args=[gf.pk]))
    assert response.status_code == 302
    gf.refresh_from_db()
    assert gf.status != GeneratedFile.Status.AWAITING and gf.decided_by == world.admin
    assert AuditLog.objects.filter(action="export.approve", target_id=str(gf.pk)).exists()
    assert Notification.objects.filter(user=world.organizer, kind="export.approval").exists()


def test_a_refused_export_is_never_made_and_the_refusal_audited(world, settings, client_for):
    settings.LECTERN_EXPORT_REASON_ROWS = 10
    settings.LECTERN_EXPORT_SECOND_APPROVER = True
    gf = _start_roster(world.organizer, 50)("核对")
    admin = client_for(world.admin)
    admin.post(reverse("generated_file_approve", args=[gf.pk]), {"decision": "refuse"})
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.AWAITING  # a refusal needs its reason
    admin.post(
        reverse("generated_file_approve", args=[gf.pk]),
        {"decision": "refuse", "reason": "范围过大"},
    )
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED and "范围过大" in gf.error
    assert AuditLog.objects.get(action="export.refuse", target_id=str(gf.pk)).reason == "范围过大"
    with pytest.raises(Exception, match="已经处理"):
        generated_file_approve(file_id=gf.pk, by=world.admin)
    page = client_for(world.organizer).get(reverse("generated_file", args=[gf.pk]))
    assert "范围过大" in page.content.decode()


def test_every_lectern_setting_the_code_reads_is_declared_in_settings():
    root = Path(django_settings.BASE_DIR)
    declared = set(
        re.findall(r"^(LECTERN_[A-Z_]+)\s*=", (root / "config/settings.py").read_text(), re.M)
    )
    read = set()
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        read |= set(re.findall(r'getattr\(\s*settings,\s*"(LECTERN_[A-Z_]+)"', path.read_text()))
    assert read and read <= declared, sorted(read - declared)
