import csv
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.reports.conftest import needs_poppler, pdf_pages_text
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


@needs_poppler
def test_attendance_report_command_writes_pdf_xlsx_and_csv(tmp_path):
    program, sessions, users, units = build_program(trainees=10, sessions=2, units=2)
    pdf, xlsx, csv_path = tmp_path / "a.pdf", tmp_path / "a.xlsx", tmp_path / "a.csv"
    call_command(
        "attendance_report",
        program=program.code,
        format="pdf",
        output=str(pdf),
        stdout=io.StringIO(),
    )
    call_command(
        "attendance_report",
        program=program.code,
        format="xlsx",
        output=str(xlsx),
        stdout=io.StringIO(),
    )
    call_command(
        "attendance_report",
        program=program.code,
        format="csv",
        output=str(csv_path),
        stdout=io.StringIO(),
    )
    text = "\n".join(pdf_pages_text(pdf))
    assert all(u.full_name in text for u in users)
    ws = load_workbook(xlsx)["考勤汇总"]
    header = int(ws.freeze_panes[1:]) - 1  # title lines above the header row
    assert ws.max_row == header + 10
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8").lstrip("\ufeff"))))
    assert len(rows) == 1 + 10 * 2


def test_unknown_program_code_is_a_clear_error():
    with pytest.raises(CommandError, match="No program"):
        call_command("attendance_report", program="NOPE", format="pdf", output="/tmp/x.pdf")
