"""core.tabular: formula-safe cells in xlsx and csv, numbers untouched, print set-up present."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils.translation import gettext_lazy

from core.tabular import (
    FORMULA_PREFIXES,
    Column,
    Sheet,
    csv_chunks,
    fitted_header_height,
    safe_cell,
    xlsx_bytes,
)

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","点我")',
    "+86 138",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


def _read(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_cell_neutralises_every_formula_prefix(text):
    assert text.startswith(FORMULA_PREFIXES)
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", [0, 12, -5, 3.5, -0.25, Decimal("-1.5"), True, date(2026, 3, 1)])
def test_safe_cell_leaves_numbers_dates_and_booleans_alone(value):
    assert safe_cell(value) == value
    assert type(safe_cell(value)) is type(value)


def test_safe_cell_plain_text_none_and_lazy_strings():
    assert safe_cell("张三") == "张三"
    assert safe_cell("") == ""
    assert safe_cell(None) is None
    assert safe_cell(gettext_lazy("=lazy")) == "'=lazy"


def test_safe_cell_makes_aware_datetimes_local_wall_clock():
    aware = datetime(2026, 3, 1, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert safe_cell(aware) == datetime(2026, 3, 1, 9, 0)  # Asia/Shanghai


def test_xlsx_stores_dangerous_text_as_text_never_as_formula():
    cols = [
        Column("姓名"),
        Column("单位", width=30, wrap=True),
        Column("分数", number_format="0.0"),
    ]
    rows = [[text, text, 88.5] for text in DANGEROUS] + [[-3, "-", 7]]
    data = xlsx_bytes([Sheet("名单", cols, rows)])
    ws = _read(data).active
    values = list(ws.iter_rows(min_row=2))
    for (name, unit, score), text in zip(values, DANGEROUS, strict=False):
        for cell in (name, unit):
            assert cell.data_type == "s", cell.value
            # text with the apostrophe (XML reads a lone CR back as LF)
            assert cell.value == "'" + text.replace("\r", "\n")
        assert score.value == 88.5 and score.data_type == "n"
        assert score.number_format == "0.0"
    last = values[-1]
    assert last[0].value == -3 and last[0].data_type == "n"  # a real number stays a number
    assert last[1].value == "'-"


def test_xlsx_never_holds_a_formula_anywhere_even_in_headers_and_titles():
    data = xlsx_bytes(
        [Sheet("=evil", [Column("=header")], [["=a"], ["@b"]], title_lines=["=title"])]
    )
    wb = _read(data)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES)


def test_xlsx_print_setup_and_frozen_header():
    cols = [Column("姓名", width=10), Column("签到时间", width=18)]
    rows = [[f"学员{i}", datetime(2026, 3, 1, 9, i % 60)] for i in range(200)]
    data = xlsx_bytes(
        [
            Sheet("签到表", cols, rows, title_lines=["云江市专题培训班", "2026-03-01 · 主会场"]),
            Sheet("横向", cols, [], landscape=True, freeze_header=False),
        ],
        title="签到表 标题",
        subject="主题",
        creator="讲台",
    )
    wb = _read(data)
    assert wb.properties.title == "签到表 标题"
    assert wb.properties.subject == "主题"
    ws = wb["签到表"]
    assert ws.page_setup.paperSize in ("9", 9)  # A4
    assert ws.page_setup.orientation == "portrait"
    assert int(ws.page_setup.fitToWidth) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    # two title lines, an empty row, then the header on row 4: repeated and frozen
    assert ws["A1"].value == "云江市专题培训班" and ws["A1"].font.b
    assert ws["A4"].value == "姓名" and ws["A4"].font.b
    assert ws.print_title_rows == "$4:$4"
    assert ws.freeze_panes == "A5"
    assert ws.column_dimensions["A"].width == 10
    assert ws.column_dimensions["B"].width == 18
    assert ws["B5"].is_date and ws["B5"].number_format == "yyyy-mm-dd hh:mm"
    other = wb["横向"]
    assert other.page_setup.orientation == "landscape"
    assert other.freeze_panes is None
    assert other.print_title_rows == "$1:$1"


def test_xlsx_sheet_names_are_made_valid_and_unique_and_control_characters_dropped():
    data = xlsx_bytes(
        [
            Sheet("a/b:c", [Column("x")], [["bell\x07"]]),
            Sheet("a/b:c", [Column("x")], []),
            Sheet("很" * 40, [Column("x")], []),
        ]
    )
    wb = _read(data)
    assert len(wb.sheetnames) == 3 and len(set(wb.sheetnames)) == 3
    assert all(len(n) <= 31 for n in wb.sheetnames)
    assert wb.worksheets[0]["A2"].value == "bell"


def test_csv_starts_with_a_bom_quotes_every_cell_and_neutralises_formulas():
    rows = [[text, 12, None] for text in DANGEROUS] + [["a;=1+1", -4, 2.5]]
    text = "".join(csv_chunks(["姓名", "=x", "备注"], rows))
    assert text.startswith("\ufeff")
    parsed = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert parsed[0] == ["姓名", "'=x", "备注"]
    for row, original in zip(parsed[1:], DANGEROUS, strict=False):
        assert row[0] == "'" + original
        assert row[1] == "12"
        assert row[2] == ""
    assert parsed[-1] == ["a;=1+1", "-4", "2.5"]  # the number keeps its sign
    # every cell is quoted, so a separator inside a value never starts a new cell
    for line in text[1:].split("\r\n"):
        if line:
            assert line.startswith('"') and line.endswith('"')


def test_csv_is_streamed_one_row_at_a_time():
    def rows():
        yield ["first"]
        raise AssertionError("read ahead")

    chunks = csv_chunks(["h"], rows())
    assert next(chunks) == "\ufeff"
    assert next(chunks) == '"h"\r\n'
    assert next(chunks) == '"first"\r\n'


def test_the_header_row_is_tall_enough_for_its_wrapped_labels():
    cols = [
        Column("序号", width=6),
        Column("第3讲\n11月29日 09:40\n深入学习贯彻党的创新理论", width=10),
    ]
    height = fitted_header_height(cols)
    sheet = Sheet("汇总", cols, [[1, "出勤"]], title_lines=["标题"], header_height=height)
    ws = _read(xlsx_bytes([sheet])).active
    assert ws.row_dimensions[3].height >= 5 * 15  # five wrapped lines at least
    one_line = _read(xlsx_bytes([Sheet("s", [Column("姓名")], [])])).active
    assert not one_line.row_dimensions[1].height  # the default height
    fixed = _read(xlsx_bytes([Sheet("s", [Column("姓名")], [], header_height=40)])).active
    assert fixed.row_dimensions[1].height == 40
