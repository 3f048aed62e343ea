"""The large PDF tables (core.pdfgrid on WeasyPrint's public API): what the one-line-per-row
layout relies on beyond API is pinned here, so an upgrade of WeasyPrint, Pango or the font that
moves a tab stop fails a test instead of misaligning columns silently."""

import pytest

from core import pdfgrid
from enrollment import exports
from reports import rendering
from tests.reports.conftest import needs_poppler, pdf_fonts, pdf_pages_text, squash
from tests.reports.factories import build_program


def test_tab_stops_sit_where_tab_size_puts_them():
    """Pango puts a tab stop at a multiple of tab-size (measured through Page.anchors)."""
    assert pdfgrid.tab_scale() == pytest.approx(1.0, abs=0.03)


def test_the_cjk_font_has_the_advances_the_grid_measures_with():
    widths = pdfgrid.advances()
    assert widths is not None
    assert widths[ord("王")] == pytest.approx(1000, abs=1)  # full-width ideograph
    assert 400 <= widths[ord("0")] <= 650  # proportional digits


def test_tab_line_places_columns_on_their_stops():
    grid, _css = rendering._summary_layout(10)
    line = grid.line([7, "王建国", *"√假√√√迟√√√√", "90.0%", 1, 0])
    assert line is not None and line.count("\t") >= 14
    assert grid.line([7, "王" * 30, *"√" * 10, "", 0, 0]) is None


@needs_poppler
@pytest.mark.django_db
def test_tab_line_text_comes_out_in_its_columns(tmp_path):
    """Each value of a one-line row is extracted at its column's place (pdftotext -layout keeps
    the order, and the marks line up under their session numbers)."""
    program, sessions, users, _units = build_program(trainees=5, sessions=4, units=1, seed=17)
    path = tmp_path / "s.pdf"
    path.write_bytes(rendering.summary_pdf(program=program))
    lines = pdf_pages_text(path)[0].splitlines()
    row = next(x for x in lines if users[0].full_name in x)
    assert row.split()[0] == "1" and row.split()[1] == users[0].full_name
    assert len([c for c in row if c in "√迟早双旷假待－"]) == 4


@needs_poppler
@pytest.mark.django_db
def test_roster_pdf_lists_every_trainee_masks_phones_and_numbers_pages(tmp_path):
    from accounts.models import User

    program, _sessions, users, units = build_program(trainees=70, sessions=1, units=2, seed=19)
    User.objects.filter(pk=users[0].pk).update(phone="13812345678")
    long_unit = units[0]
    long_unit.name = "云江省某某市某某县某某乡镇人民政府党政综合办公室"
    long_unit.save(update_fields=["name"])
    path = tmp_path / "roster.pdf"
    path.write_bytes(exports.roster_pdf(program))
    pages = pdf_pages_text(path)
    assert len(pages) >= 2
    text = squash("\n".join(pages))
    for user in users:
        assert user.full_name in text
    assert long_unit.name in text  # too wide for its column: laid out as cells, font fitted
    assert "138****5678" in text and "13812345678" not in text
    assert all("手机号码" in page for page in pages)  # the header repeats
    assert f"第{len(pages)}页/共{len(pages)}页" in squash(pages[-1])
    fonts = pdf_fonts(path)
    assert any("CJK" in x and " yes " in x for x in fonts.splitlines()), fonts
