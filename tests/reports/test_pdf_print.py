"""Issue 13, PDFs people print: Title metadata, unit headings kept with their first rows, and a
document made in English is English throughout (and its columns are not clipped)."""

import re
import subprocess

import pytest
from django.utils import translation

from accounts.models import OrgUnit
from enrollment.models import Enrollment
from reports import rendering
from tests.factories import OrgUnitFactory
from tests.reports.conftest import needs_poppler, pdf_pages_text
from tests.reports.factories import build_program

pytestmark = [needs_poppler, pytest.mark.django_db]


def pdf_title(path) -> str:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    line = next((x for x in info.stdout.splitlines() if x.startswith("Title:")), "Title:")
    return line.split(":", 1)[1].strip()


def test_every_report_pdf_has_a_title(tmp_path):
    program, sessions, users, _units = build_program(trainees=40, sessions=2, units=4, seed=21)
    signin = tmp_path / "signin.pdf"
    signin.write_bytes(rendering.signin_pdf(session=sessions[0]))
    assert pdf_title(signin) == f"{program.title} · {sessions[0].topic} 签到表"
    summary = tmp_path / "summary.pdf"
    summary.write_bytes(rendering.summary_pdf(program=program))
    assert pdf_title(summary) == f"{program.title} 考勤汇总表"


def _uneven_units(program, sizes):
    """Re-seat the program's trainees into units of the given sizes (in tree order)."""
    parent = program.organizing_unit
    enrollments = list(
        Enrollment.objects.filter(program=program).select_related("user").order_by("pk")
    )
    start = 0
    for i, size in enumerate(sizes):
        unit = OrgUnitFactory(
            name=f"桃源乡第{i + 1:02d}村", kind=OrgUnit.Kind.TOWNSHIP, parent=parent
        )
        for e in enrollments[start : start + size]:
            Enrollment.objects.filter(pk=e.pk).update(unit=unit)
        start += size


HEADING = re.compile(r"桃源乡第\d\d村\(\d+ 人\)")


@pytest.mark.parametrize(("doc", "shift"), [("signin", s) for s in range(4)] + [("summary", 0)])
def test_no_unit_heading_is_left_alone_at_a_page_bottom(tmp_path, doc, shift):
    """Whatever the unit sizes, a page never ends with a unit heading whose rows start on the
    next page, nor with a heading and a single row (break-after: avoid on the heading row and
    on its first row)."""
    sizes = [3 + ((i * 7 + shift * 5) % 9) for i in range(16)]
    program, sessions, users, _units = build_program(
        trainees=sum(sizes), sessions=1, units=1, seed=30 + shift
    )
    _uneven_units(program, sizes)
    path = tmp_path / f"{doc}.pdf"
    if doc == "signin":
        path.write_bytes(rendering.signin_pdf(session=sessions[0]))
    else:
        path.write_bytes(rendering.summary_pdf(program=program))
    pages = pdf_pages_text(path)
    assert len(pages) >= 3
    for number, page in enumerate(pages[:-1], start=1):
        lines = [x.strip() for x in page.splitlines() if x.strip()]
        body = [x for x in lines if "页" not in x]  # drop the footer
        # Every unit of these has 3+ trainees: its heading and at least two of its rows
        # share a page.
        assert not any(HEADING.search(x) for x in body[-2:]), (number, body[-3:])


def _words(path):
    """(text, xMin, yMin, xMax) of every word on page 1 (pdftotext -bbox)."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = []
    for x0, y0, x1, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html
    ):
        out.append((word, float(x0), float(y0), float(x1)))
    return out


def test_signin_sheet_in_english_is_english_and_its_headers_are_not_clipped(tmp_path):
    program, sessions, users, _units = build_program(trainees=8, sessions=1, units=2, seed=41)
    path = tmp_path / "signin-en.pdf"
    with translation.override("en"):
        path.write_bytes(rendering.signin_pdf(session=sessions[0]))
    text = "\n".join(pdf_pages_text(path))
    for english in ("Sign-in sheet", "Check-in", "Check-out", "Signature", "Page 1 of 1"):
        assert english in text, english
    # No Chinese label, footer or date format: only the names and titles people gave.
    for chinese in ("签到", "签退", "本人签名", "序号", "姓名", "页", "制表时间", "年", "人)"):
        assert chinese not in text, chinese
    words = _words(path)
    check_in = next(w for w in words if w[0] == "Check-in")
    check_out = next(w for w in words if w[0] == "Check-out")
    # "time" of "Check-in time" sits inside its own column, left of the next column's header.
    time_words = [w for w in words if w[0] == "time" and w[1] < check_out[1]]
    assert time_words, words[:40]
    assert all(w[3] <= check_out[1] for w in time_words)
    assert check_in[3] <= check_out[1]
