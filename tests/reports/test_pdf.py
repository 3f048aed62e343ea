"""PDF content checked with poppler: names extractable, CJK font embedded, pages numbered."""

import re

import pytest

from reports import rendering
from tests.reports.conftest import (
    needs_poppler,
    pdf_fonts,
    pdf_page_count,
    pdf_pages_text,
    squash,
)
from tests.reports.factories import build_program

pytestmark = [needs_poppler, pytest.mark.django_db]


def assert_cjk_embedded(path):
    fonts = pdf_fonts(path)
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), fonts


def assert_numbered(pages: list[str]):
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        assert f"第{n}页/共{total}页" in squash(page), (n, page[-200:])


def test_signin_sheet_lists_every_trainee_by_unit_with_header_on_each_page(tmp_path):
    program, sessions, users, units = build_program(trainees=60, sessions=2, units=3)
    path = tmp_path / "signin.pdf"
    path.write_bytes(rendering.signin_pdf(session=sessions[0]))

    pages = pdf_pages_text(path)
    assert pdf_page_count(path) == len(pages) >= 2
    text = "\n".join(pages)
    for user in users:
        assert user.full_name in text
    for unit in units:
        assert unit.name in text
    assert program.title in pages[0] and "专题讲座1" in pages[0] and "市委党校报告厅" in pages[0]
    # The table header (with the signature column) repeats on page 2.
    assert "本人签名" in pages[1] and "签到时间" in pages[1]
    assert_numbered(pages)
    assert_cjk_embedded(path)


def test_summary_is_one_document_numbered_with_every_trainee_in_unit_order(tmp_path):
    program, sessions, users, units = build_program(trainees=90, sessions=6, units=6, seed=3)
    path = tmp_path / "summary.pdf"
    path.write_bytes(rendering.summary_pdf(program=program))

    pages = pdf_pages_text(path)
    assert len(pages) == pdf_page_count(path) >= 2
    text = "\n".join(pages)
    for user in users:
        assert user.full_name in text
    assert_numbered(pages)
    # Column header on every page, unit groups in tree order, row numbers run on.
    assert all("出勤率" in page for page in pages if "%" in page)
    positions = [text.index(u.name) for u in units]
    assert positions == sorted(positions)
    numbers = [int(m) for m in re.findall(r"^\s*(\d+)\s+\S+\s+[√迟早双旷假待－]", text, re.M)]
    assert numbers == list(range(1, 91))
    assert_cjk_embedded(path)


def test_summary_marks_rates_and_totals(tmp_path):
    from attendance.models import AttendanceRecord, AttendanceStatus

    program, sessions, users, units = build_program(trainees=2, sessions=2, units=1, seed=5)
    AttendanceRecord.objects.filter(user=users[0]).update(status=AttendanceStatus.PRESENT)
    AttendanceRecord.objects.filter(user=users[1], session=sessions[0]).update(
        status=AttendanceStatus.ABSENT
    )
    AttendanceRecord.objects.filter(user=users[1], session=sessions[1]).update(
        status=AttendanceStatus.ON_LEAVE
    )
    path = tmp_path / "s.pdf"
    path.write_bytes(rendering.summary_pdf(program=program))
    text = squash(pdf_pages_text(path)[0])
    assert f"{users[0].full_name}√√100.0%00" in text
    assert f"{users[1].full_name}旷假0.0%11" in text


def test_rows_are_one_text_line_and_a_row_too_wide_falls_back_to_cells(tmp_path):
    """Normal rows are a single tab-stop line; a name too long for its column is laid out as real
    cells and still extractable."""
    from accounts.models import User

    program, sessions, users, _units = build_program(trainees=12, sessions=3, units=2, seed=11)
    long_name = "阿依古丽·买买提艾力克木"
    User.objects.filter(pk=users[0].pk).update(
        full_name=long_name, position="党委书记、镇长、人大主席"
    )
    html, _css = rendering.signin_html(session=sessions[0])
    assert html.count('class="cells"') == 2  # the header and the one long row
    assert "\t" in html
    path = tmp_path / "signin.pdf"
    path.write_bytes(rendering.signin_pdf(session=sessions[0]))
    text = squash("\n".join(pdf_pages_text(path)))
    assert long_name in text
    for user in users[1:]:
        assert user.full_name in text

    summary = tmp_path / "summary.pdf"
    summary.write_bytes(rendering.summary_pdf(program=program))
    text = squash("\n".join(pdf_pages_text(summary)))
    assert long_name in text
