"""Issue 12 item 9: user text that starts like a formula (= + - @ TAB CR) comes out of every
reports export as text (core.tabular.safe_cell), never as a live formula."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import OrgUnit, User
from programs.models import Program, Session
from reports import rendering
from reports.selectors import StatsFilters, statistics
from reports.services import rollup_rebuild_all
from tests.factories import LecturerFactory
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _poison(program, sessions, users, units, payload):
    Session.objects.filter(pk=sessions[0].pk).update(topic=payload + "topic")
    User.objects.filter(pk=users[0].pk).update(full_name=payload + "name", position=payload + "pos")
    OrgUnit.objects.filter(pk=units[0].pk).update(name=payload + "unit")
    Program.objects.filter(pk=program.pk).update(title=payload + "program")
    lecturer = LecturerFactory(name=payload + "lecturer")
    sessions[0].lecturers.add(lecturer)


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield cell


def _assert_inert(cells, payload):
    seen = 0
    for cell in cells:
        value = cell.value
        assert cell.data_type != "f", (cell.coordinate, value)
        if isinstance(value, str) and payload.strip("\t\r")[:2] in value:
            seen += 1
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), repr(value)
    assert seen, "the poisoned text was not exported at all"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_signin_workbook_neutralises_formulas(payload):
    program, sessions, users, units = build_program(trainees=3, sessions=1, units=1)
    _poison(program, sessions, users, units, payload)
    from reports.selectors import session_for_report

    content = rendering.signin_xlsx(session=session_for_report(pk=sessions[0].pk))
    _assert_inert(_cells(content), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_summary_workbook_neutralises_formulas(payload):
    program, sessions, users, units = build_program(trainees=3, sessions=2, units=1)
    _poison(program, sessions, users, units, payload)
    program.refresh_from_db()
    _assert_inert(_cells(rendering.summary_xlsx(program=program)), payload)


@pytest.mark.parametrize("payload", PAYLOADS[:3])
def test_statistics_workbook_neutralises_formulas(world, payload):
    program, sessions, users, units = build_program(
        trainees=3, sessions=1, units=1, parent=world.city_a
    )
    rollup_rebuild_all()
    OrgUnit.objects.filter(pk=world.city_a.pk).update(name=payload + "unit")
    world.city_a.refresh_from_db()
    stats = statistics(filters=StatsFilters(year=program.start_date.year, unit=world.city_a))
    _assert_inert(_cells(rendering.statistics_xlsx(stats=stats)), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_attendance_csv_neutralises_formulas(world, client_for, payload):
    program, sessions, users, units = build_program(
        trainees=2, sessions=1, units=1, program=world.program, parent=world.city_a
    )
    _poison(program, sessions, users, units, payload)
    response = client_for(world.manager).get(reverse("reports:program_csv", args=[program.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    cells = [c for row in rows[1:] for c in row]
    poisoned = [c for c in cells if payload.strip("\t\r")[:2] in c]
    assert len(poisoned) >= 3  # topic, name, unit
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)
