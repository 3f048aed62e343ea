"""Excel read back with openpyxl; CSV streamed with flat memory."""

import csv
import io
from datetime import datetime
from urllib.parse import quote

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reports import rendering
from reports.selectors import StatsFilters, statistics
from reports.services import rollup_rebuild_all
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


def book(content: bytes):
    return load_workbook(io.BytesIO(content))


def header_row(ws) -> int:
    """The table's header row: the one frozen above the data (title lines sit above it)."""
    return int(ws.freeze_panes[1:]) - 1


def test_summary_workbook_has_frozen_header_widths_real_dates_and_unit_sheet():
    program, sessions, users, units = build_program(trainees=12, sessions=3, units=2)
    wb = book(rendering.summary_xlsx(program=program))
    ws = wb["考勤汇总"]
    h = header_row(ws)
    assert ws.freeze_panes == f"A{h + 1}"
    assert ws.cell(h, 1).value == "序号" and ws.cell(h, 3).value == "姓名"
    assert ws.column_dimensions["B"].width == 20
    assert ws.max_row == h + 12
    names = {ws.cell(row=r, column=3).value for r in range(h + 1, h + 13)}
    assert names == {u.full_name for u in users}
    assert {ws.cell(row=h + 1, column=c).value for c in (5, 6, 7)} <= {
        "出勤",
        "迟到",
        "早退",
        "请假",
        "旷课",
    }
    by_unit = wb["按单位"]
    hu = header_row(by_unit)
    assert [by_unit.cell(row=r, column=1).value for r in (hu + 1, hu + 2)] == [
        u.name for u in units
    ]
    course = wb["课程"]
    hc = header_row(course)
    assert isinstance(course.cell(hc + 1, 2).value, datetime)
    assert course.cell(hc + 1, 2).number_format == "yyyy-mm-dd hh:mm"


def test_summary_session_headers_wrap_and_it_prints_landscape_one_page_wide():
    program, sessions, users, units = build_program(trainees=3, sessions=3, units=1)
    ws = book(rendering.summary_xlsx(program=program))["考勤汇总"]
    h = header_row(ws)
    head = ws.cell(h, 5)
    assert head.value.startswith("1\n") and sessions[0].topic in head.value
    assert "\n" in head.value and head.alignment.wrap_text
    # Tall enough for number, date and time, and topic (spreadsheets do not grow it on opening).
    assert ws.row_dimensions[h].height >= 3 * 15
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize in ("9", 9) and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows.replace("$", "") == f"{h}:{h}"
    assert ws.cell(1, 1).value == f"{program.title} 考勤汇总表"


def test_signin_workbook_rows_and_times():
    program, sessions, users, units = build_program(trainees=5, sessions=1, units=1)
    ws = book(rendering.signin_xlsx(session=sessions[0]))["签到表"]
    h = header_row(ws)
    assert ws.freeze_panes == f"A{h + 1}"
    assert [c.value for c in ws[h]][-1] == "本人签名"
    assert ws.max_row == h + 5
    checkins = [ws.cell(row=r, column=5).value for r in range(h + 1, h + 6)]
    assert any(isinstance(v, datetime) for v in checkins)


def test_signin_workbook_has_a_title_block_and_a4_page_setup():
    """Program, session, date and venue above the table; A4 portrait, one page wide, the header
    repeated on every printed page."""
    program, sessions, users, units = build_program(trainees=5, sessions=1, units=1)
    session = sessions[0]
    wb = book(rendering.signin_xlsx(session=session))
    ws = wb["签到表"]
    h = header_row(ws)
    titles = "\n".join(str(ws.cell(r, 1).value or "") for r in range(1, h))
    assert program.title in titles and session.topic in titles
    assert f"{timezone.localtime(session.start):%Y-%m-%d %H:%M}" in titles
    assert session.venue.name in titles
    assert ws.page_setup.paperSize in ("9", 9)
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows.replace("$", "") == f"{h}:{h}"
    assert wb.properties.title == f"{program.title} · {session.topic} 签到表"


def test_statistics_workbook_matches_the_page_figures(world):
    program, *_ = build_program(trainees=10, sessions=2, units=2, parent=world.city_a)
    rollup_rebuild_all()
    stats = statistics(filters=StatsFilters(year=program.start_date.year))
    wb = book(rendering.statistics_xlsx(stats=stats))
    ws = wb["概览"]
    overview = {r[0].value: r[1].value for r in ws.iter_rows(min_row=header_row(ws) + 1)}
    assert overview["培训人次"] == stats["trainee_times"] >= 10
    assert overview["出勤率(%)"] == stats["attendance_rate"]
    ranks = wb["按职级"]
    assert ranks.freeze_panes == f"A{header_row(ranks) + 1}"


def test_statistics_workbook_writes_filter_labels_not_codes(world):
    from accounts.models import Rank
    from programs.models import Program

    program, *_ = build_program(trainees=4, sessions=1, units=1, parent=world.city_a)
    rollup_rebuild_all()
    filters = StatsFilters(
        year=program.start_date.year, level=Program.Level.values[0], rank=Rank.SECTION
    )
    wb = book(rendering.statistics_xlsx(stats=statistics(filters=filters)))
    ws = wb["概览"]
    overview = {r[0].value: r[1].value for r in ws.iter_rows(min_row=header_row(ws) + 1)}
    assert overview["级别"] == str(Program.Level.choices[0][1])
    assert overview["职级"] == str(Rank.SECTION.label)
    codes = {Program.Level.values[0], Rank.SECTION.value}
    every_cell = {
        c.value for sheet in wb.worksheets for row in sheet.iter_rows() for c in row if c.value
    }
    assert not codes & every_cell
    assert not any(str(v).endswith(tuple(codes)) for v in every_cell if isinstance(v, str))


def test_csv_is_streamed_and_complete(world, client_for):
    program, sessions, users, units = build_program(
        trainees=30, sessions=3, units=2, program=world.program, parent=world.city_a
    )
    response = client_for(world.manager).get(reverse("reports:program_csv", args=[program.pk]))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == rendering.CSV_HEADER
    assert len(rows) == 1 + 30 * 3
    assert {r[2] for r in rows[1:]} == {u.full_name for u in users}


def test_csv_source_column_writes_labels_and_the_name_is_chinese(world, client_for):
    from attendance.models import AttendanceRecord

    program, sessions, users, units = build_program(
        trainees=4, sessions=1, units=1, program=world.program, parent=world.city_a
    )
    records = list(AttendanceRecord.objects.filter(session=sessions[0]).order_by("pk"))
    sources = list(AttendanceRecord.Source)
    for record, source in zip(records, sources, strict=True):
        AttendanceRecord.objects.filter(pk=record.pk).update(source=source)
    response = client_for(world.manager).get(reverse("reports:program_csv", args=[program.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    written = {r[7] for r in rows[1:]}
    assert written == {str(s.label) for s in sources}
    assert not written & {s.value for s in sources}
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=utf-8''" in disposition.lower()
    assert quote(program.title) in disposition


def test_csv_in_english_writes_english_labels(world, client_for):
    from django.utils import translation

    from attendance.models import AttendanceRecord

    program, sessions, users, units = build_program(
        trainees=1, sessions=1, units=1, program=world.program, parent=world.city_a
    )
    AttendanceRecord.objects.filter(session=sessions[0]).update(source="qr")
    with translation.override("en"):
        lines = list(rendering.attendance_csv_lines(program=program))
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff"))))
    assert rows[0][-1] == "Source" and rows[1][-1] == "QR scan"


def test_csv_query_uses_a_server_side_iterator():
    import inspect

    from reports import selectors

    assert ".iterator(chunk_size=" in inspect.getsource(selectors.attendance_flat_rows)
