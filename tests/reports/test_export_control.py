"""Export control of the reports' exports: who, what, scope and row count audited; a large export
of people's data asks for a reason first and writes nothing until it has one."""

import pytest
from django.urls import reverse

from core.models import AuditLog, GeneratedFile
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


def test_summary_export_is_audited_with_rows_scope_and_personal(world, client_for):
    build_program(trainees=6, sessions=1, units=2, program=world.program, parent=world.city_a)
    client = client_for(world.manager)
    client.post(reverse("reports:program_export", args=[world.program.pk]), {"kind": "summary_pdf"})
    entry = AuditLog.objects.filter(action="export.create").latest("pk")
    assert entry.after["rows"] == world.program.enrollments.filter(status="enrolled").count()
    assert entry.after["personal"] is True
    assert entry.after["scope"] == world.program.code


def test_a_large_export_asks_for_a_reason_then_runs_with_it(world, client_for, settings):
    settings.LECTERN_EXPORT_REASON_ROWS = 3
    build_program(trainees=6, sessions=1, units=2, program=world.program, parent=world.city_a)
    client = client_for(world.manager)
    url = reverse("reports:program_export", args=[world.program.pk])
    asked = client.post(url, {"kind": "summary_xlsx"})
    assert asked.status_code == 200 and "export_reason" in asked.content.decode()
    assert not GeneratedFile.objects.exists()
    done = client.post(url, {"kind": "summary_xlsx", "export_reason": "年度考核材料"})
    assert done.status_code == 302
    assert GeneratedFile.objects.count() == 1
    entry = AuditLog.objects.filter(action="export.create").latest("pk")
    assert entry.reason == "年度考核材料"


def test_the_csv_download_is_audited_and_asks_for_a_reason_when_large(world, client_for, settings):
    settings.LECTERN_EXPORT_REASON_ROWS = 3
    build_program(trainees=6, sessions=1, units=2, program=world.program, parent=world.city_a)
    client = client_for(world.manager)
    url = reverse("reports:program_csv", args=[world.program.pk])
    asked = client.get(url)
    assert asked.status_code == 200 and "export_reason" in asked.content.decode()
    got = client.get(url, {"export_reason": "核对考勤"})
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert AuditLog.objects.filter(action="export.create", reason="核对考勤").exists()
