"""Export control (issue 17 item 10): audited exports, a reason above the threshold, watermarks,
expiring links deleted by the cleanup job."""

import io
from datetime import timedelta

import pytest
from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.errors import DomainError
from core.models import AuditLog, GeneratedFile
from core.pdf import html_to_pdf, watermark_for
from core.services import (
    export_record,
    generated_file_finish,
    generated_file_start,
    generated_files_cleanup,
)
from core.tabular import Column, Sheet, xlsx_bytes

pytestmark = pytest.mark.django_db


@shared_task(name="tests.core.export_noop")
def export_noop(file_id):
    return file_id


def _start(user, **kwargs):
    return generated_file_start(
        owner=user, kind="roster", title="花名册", params={"program": 7}, task=export_noop, **kwargs
    )


def test_every_export_is_audited_with_who_what_scope_and_rows(world):
    gf = _start(world.organizer, rows=71, personal=True, scope="YJC-2026-XZ")
    entry = AuditLog.objects.get(action="export.create")
    assert entry.actor_id == world.organizer.pk and entry.target_id == str(gf.pk)
    assert entry.after == {
        "kind": "roster",
        "title": "花名册",
        "scope": "YJC-2026-XZ",
        "rows": 71,
        "personal": True,
        "params": {"program": 7},
    }


def test_a_large_personal_export_needs_a_reason(world, settings):
    settings.LECTERN_EXPORT_REASON_ROWS = 500
    with pytest.raises(DomainError) as refused:
        _start(world.organizer, rows=501, personal=True)
    assert "501" in str(refused.value.message) and refused.value.field == "reason"
    assert not GeneratedFile.objects.exists()
    gf = _start(world.organizer, rows=501, personal=True, reason="年度学时核对")
    assert (
        AuditLog.objects.get(action="export.create", target_id=str(gf.pk)).reason == "年度学时核对"
    )
    _start(world.organizer, rows=5000, personal=False)  # no personal data: no reason needed
    _start(world.organizer, rows=500, personal=True)  # at the threshold: none needed


def test_pdf_carries_a_visible_watermark_and_xlsx_a_note_in_its_properties(world):
    from pypdf import PdfReader

    mark = watermark_for(world.organizer, timezone.now())
    assert "组织者甲" in mark and "w_org" in mark
    pdf = html_to_pdf("<h1>名单</h1>", title="名单", watermark=mark)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "w_org" in text
    workbook = load_workbook(
        io.BytesIO(xlsx_bytes([Sheet("名单", [Column("姓名")], [["张三"]])], watermark=mark))
    )
    assert workbook.properties.description == mark and workbook.properties.keywords == mark


def test_download_links_expire_after_24_hours_and_the_cleanup_deletes_them(
    world, client, monkeypatch
):
    # the app that made a file vouches for its reader (core.selectors); here a stand-in does
    monkeypatch.setattr("core.selectors._still_allowed", lambda user, gf: True)
    gf = _start(world.organizer)
    generated_file_finish(file_id=gf.pk, content=b"x", filename="a.csv", content_type="text/csv")
    gf.refresh_from_db()
    lifetime = gf.expires_at - timezone.now()
    assert timedelta(hours=23) < lifetime <= timedelta(hours=24)
    client.force_login(world.organizer)
    url = reverse("generated_file_download", args=[gf.pk])
    assert client.get(url).status_code == 200
    assert AuditLog.objects.filter(action="export.download", target_id=str(gf.pk)).exists()

    GeneratedFile.objects.filter(pk=gf.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(url)
    assert response.status_code == 410
    assert "下载链接已过期" in response.content.decode()
    storage, name = gf.file.storage, gf.file.name
    assert generated_files_cleanup() == 1
    assert not GeneratedFile.objects.filter(pk=gf.pk).exists() and not storage.exists(name)


def test_an_export_served_at_once_is_checked_and_recorded_the_same_way(world, settings):
    settings.LECTERN_EXPORT_REASON_ROWS = 10
    with pytest.raises(DomainError):
        export_record(
            actor=world.manager, kind="attendance.csv", title="考勤", rows=11, personal=True
        )
    entry = export_record(
        actor=world.manager,
        kind="attendance.csv",
        title="考勤",
        rows=11,
        personal=True,
        scope="session 1",
        reason="核对",
    )
    assert entry.action == "export.create" and entry.target_id == "attendance.csv"
    assert entry.after["rows"] == 11 and entry.reason == "核对"
