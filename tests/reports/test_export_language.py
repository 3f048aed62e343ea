"""Issue 13: an export follows the language it was asked in, whatever the worker runs in, and
downloads under a Chinese (RFC 5987) file name; a job that meets an unexpected error ends failed
with a message (core.jobs)."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import translation

from core.models import GeneratedFile
from reports import services
from tests.reports.conftest import needs_poppler, pdf_pages_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_chinese_export_downloads_under_its_chinese_name(world, client_for, committed):
    client = client_for(world.manager)
    with committed():
        client.post(
            reverse("reports:program_export", args=[world.program.pk]),
            {"kind": "signin_xlsx", "session": world.session.pk},
        )
    gf = GeneratedFile.objects.get(owner=world.manager)
    assert gf.status == GeneratedFile.Status.DONE
    assert gf.filename.startswith(f"{world.program.title}·{world.session.topic}签到表-")
    response = client.get(reverse("generated_file_download", args=[gf.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=utf-8''" + quote(gf.filename) in disposition


@needs_poppler
def test_an_export_asked_in_english_is_made_in_english(world, tmp_path, committed):
    with translation.override("en"), committed():
        gf = services.export_request(kind="signin_pdf", by=world.manager, session=world.session)
    gf.refresh_from_db()
    assert gf.params["lang"] == "en" and gf.status == GeneratedFile.Status.DONE
    assert "Sign-in sheet" in gf.title and "签到表" not in gf.title
    path = tmp_path / "en.pdf"
    path.write_bytes(gf.file.read())
    text = "\n".join(pdf_pages_text(path))
    assert "Sign-in sheet" in text and "Check-in" in text and "签到" not in text
    # and one asked in Chinese is Chinese, even from a worker running in English
    with translation.override("zh-hans"), committed():
        zh = services.export_request(kind="signin_pdf", by=world.manager, session=world.session)
    with translation.override("en"):
        zh.refresh_from_db()
    assert zh.params["lang"] == "zh-hans" and "签到表" in zh.title


def test_an_unexpected_error_fails_the_export_with_a_message(world, monkeypatch):
    from reports import rendering

    def broken(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(rendering, "signin_xlsx", broken)
    gf = GeneratedFile.objects.create(
        owner=world.manager,
        kind="reports.signin_xlsx",
        title="t",
        params={"kind": "signin_xlsx", "session_id": world.session.pk},
    )
    assert services.export_run(file_id=gf.pk) == "failed"
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED and "ValueError" in gf.error


def test_file_names_keep_words_apart_in_english_and_close_in_chinese():
    from types import SimpleNamespace

    from reports.services import _filename

    english = _filename(SimpleNamespace(title="云江市培训班 Attendance summary(PDF)"), "pdf")
    chinese = _filename(SimpleNamespace(title="云江市培训班 · 专题课 签到表(PDF)"), "pdf")
    assert english.startswith("云江市培训班 Attendance summary-")
    assert chinese.startswith("云江市培训班·专题课签到表-")
