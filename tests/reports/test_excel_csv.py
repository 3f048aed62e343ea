"""Excel read back with openpyxl; CSV streamed with flat memory."""

import csv
import io
from datetime import datetime

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from reports import rendering
from reports.selectors import StatsFilters, statistics
from reports.services import rollup_rebuild_all
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


def book(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_summary_workbook_has_frozen_header_widths_real_dates_and_unit_sheet():
    program, sessions, users, units = build_program(trainees=12, sessions=3, units=2)
    wb = book(rendering.summary_xlsx(program=program))
    ws = wb["考勤汇总"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "序号" and ws["C1"].value == "姓名"
    assert ws.column_dimensions["B"].width == 22
    assert ws.max_row == 1 + 12
    names = {ws.cell(row=r, column=3).value for r in range(2, 14)}
    assert names == {u.full_name for u in users}
    assert {ws.cell(row=2, column=c).value for c in (5, 6, 7)} <= {
        "出勤",
        "迟到",
        "早退",
        "请假",
        "旷课",
    }
    by_unit = wb["按单位"]
    assert [by_unit.cell(row=r, column=1).value for r in (2, 3)] == [u.name for u in units]
    course = wb["课程"]
    assert isinstance(course["B2"].value, datetime)
    assert course["B2"].number_format == "yyyy-mm-dd hh:mm"


def test_signin_workbook_rows_and_times():
    program, sessions, users, units = build_program(trainees=5, sessions=1, units=1)
    ws = book(rendering.signin_xlsx(session=sessions[0]))["签到表"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][-1] == "本人签名"
    assert ws.max_row == 6
    checkins = [ws.cell(row=r, column=5).value for r in range(2, 7)]
    assert any(isinstance(v, datetime) for v in checkins)


def test_statistics_workbook_matches_the_page_figures(world):
    program, *_ = build_program(trainees=10, sessions=2, units=2, parent=world.city_a)
    rollup_rebuild_all()
    stats = statistics(filters=StatsFilters(year=program.start_date.year))
    wb = book(rendering.statistics_xlsx(stats=stats))
    overview = {r[0].value: r[1].value for r in wb["概览"].iter_rows(min_row=2)}
    assert overview["培训人次"] == stats["trainee_times"] >= 10
    assert overview["出勤率(%)"] == stats["attendance_rate"]
    assert wb["按职级"].freeze_panes == "A2"


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


def test_csv_query_uses_a_server_side_iterator():
    import inspect

    from reports import selectors

    assert ".iterator(chunk_size=" in inspect.getsource(selectors.attendance_flat_rows)
