"""core.uploads.check_upload: judged by content (puremagic), never by the name; size checked."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import DomainError
from core.tabular import Column, Sheet, xlsx_bytes
from core.uploads import MB, check_upload, check_upload_detail

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"PE\x00\x00"


def _zip(parts: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
XLSX = xlsx_bytes([Sheet("名单", [Column("姓名")], [["张三"]])])


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    "name, data, kinds, kind",
    [
        ("a.pdf", PDF, {"pdf"}, "pdf"),
        ("a.png", PNG, {"image"}, "image"),
        ("a.jpg", JPG, {"image", "pdf"}, "image"),
        ("a.docx", DOCX, {"word"}, "word"),
        ("a.xlsx", XLSX, {"xlsx"}, "xlsx"),
        ("名单.csv", "姓名,手机\n张三,13800000000\n".encode(), {"csv"}, "csv"),
        ("名单.csv", "姓名,手机\n张三,13800000000\n".encode("gb18030"), {"csv"}, "csv"),
        ("名单.csv", "\ufeff姓名,单位\n".encode(), {"csv", "xlsx"}, "csv"),
    ],
)
def test_real_files_are_accepted_and_their_kind_returned(name, data, kinds, kind):
    f = upload(name, data)
    assert check_upload(f, kinds=kinds, max_bytes=MB) == kind
    assert f.read() == data  # the file is left at its start for whoever reads it next


def test_a_renamed_exe_posing_as_a_pdf_is_refused():
    f = upload("证明.pdf", EXE, content_type="application/pdf")
    with pytest.raises(DomainError) as err:
        check_upload(f, kinds={"pdf", "image"}, max_bytes=MB, field="attachment")
    assert err.value.code == "upload_type"
    assert err.value.field == "attachment"
    assert "PDF" in str(err.value)


@pytest.mark.parametrize(
    "name, data, kinds",
    [
        ("x.pdf", PNG, {"pdf"}),  # a real image, but a PDF was asked for
        ("x.docx", XLSX, {"word"}),  # both are zips: told apart by their parts
        ("x.xlsx", DOCX, {"xlsx"}),
        ("x.xlsx", _zip({"a.txt": "hello"}), {"xlsx"}),  # a plain zip is no workbook
        ("x.csv", b"<html><script>alert(1)</script></html>", {"csv"}),
        ("x.csv", EXE, {"csv"}),
        ("x.png", b"GIF89a" + b"\x00" * 10 + b"<?php", {"pdf"}),
        ("x.pdf", b"not a pdf %PDF-1.4", {"pdf"}),
    ],
)
def test_content_that_is_not_what_was_asked_for_is_refused(name, data, kinds):
    with pytest.raises(DomainError):
        check_upload(upload(name, data), kinds=kinds, max_bytes=MB)


def test_a_pdf_named_png_is_detected_as_what_it_is():
    detected = check_upload_detail(upload("proof.png", PDF), kinds={"pdf", "image"}, max_bytes=MB)
    assert (detected.kind, detected.extension, detected.content_type) == (
        "pdf",
        "pdf",
        "application/pdf",
    )


def test_size_is_checked_against_max_bytes_and_the_global_ceiling(settings):
    big = upload("a.pdf", PDF + b"0" * 2000)
    with pytest.raises(DomainError) as err:
        check_upload(big, kinds={"pdf"}, max_bytes=1000)
    assert err.value.code == "upload_too_large"
    settings.LECTERN_UPLOAD_MAX_BYTES = 1500  # the ceiling wins over a larger max_bytes
    with pytest.raises(DomainError):
        check_upload(big, kinds={"pdf"}, max_bytes=10 * MB)
    settings.LECTERN_UPLOAD_MAX_BYTES = 10 * MB
    assert check_upload(big, kinds={"pdf"}, max_bytes=10 * MB) == "pdf"


def test_an_empty_file_is_refused():
    with pytest.raises(DomainError) as err:
        check_upload(upload("a.pdf", b""), kinds={"pdf"}, max_bytes=MB)
    assert err.value.code == "upload_empty"


def test_a_zip_bomb_posing_as_a_workbook_is_refused():
    bomb = _zip(
        {
            "[Content_Types].xml": "<Types/>",
            "xl/workbook.xml": "<workbook/>",
            "xl/worksheets/sheet1.xml": "0" * (50 * MB),
        }
    )
    assert len(bomb) < MB
    with pytest.raises(DomainError) as err:
        check_upload(upload("roster.xlsx", bomb), kinds={"xlsx"}, max_bytes=MB)
    assert err.value.code == "upload_bomb"


def test_the_message_is_translated(settings):
    from django.utils import translation

    with translation.override("en"), pytest.raises(DomainError) as err:
        check_upload(upload("a.pdf", EXE), kinds={"pdf"}, max_bytes=MB)
    # English once the catalogue has it; never an English fallback of a missing message
    assert str(err.value)


def test_unknown_kinds_are_a_programming_error():
    with pytest.raises(ValueError):
        check_upload(upload("a.pdf", PDF), kinds={"pdf", "exe"}, max_bytes=MB)
