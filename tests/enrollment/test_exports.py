"""Roster exports print on A4 as a person would lay them out, and are formula-safe."""

import io
from urllib.parse import unquote

import pytest
from django.test import TestCase
from django.urls import reverse

from core.models import GeneratedFile
from enrollment.models import Enrollment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _xlsx(world, client_for):
    """The roster Excel is a file job: start it, then download the finished file."""
    from openpyxl import load_workbook

    client = client_for(world.organizer)
    with TestCase.captureOnCommitCallbacks(execute=True):
        r = client.post(reverse("enrollment:export_xlsx", args=[world.program.pk]))
    gf = GeneratedFile.objects.get(kind="enrollment.roster_xlsx")
    assert r.status_code == 302 and r["Location"] == reverse("generated_file", args=[gf.pk])
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.DONE, gf.message
    r = client.get(reverse("generated_file_download", args=[gf.pk]))
    assert r.status_code == 200
    return r, load_workbook(io.BytesIO(b"".join(r.streaming_content))).active


def test_roster_excel_has_a_title_a4_setup_and_a_repeated_header(world, client_for):
    r, ws = _xlsx(world, client_for)
    assert world.program.title in ws["A1"].value and world.program.code in ws["A2"].value
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows.replace("$", "") == "4:4"
    assert r["X-Content-Type-Options"] == "nosniff"
    disposition = unquote(r["Content-Disposition"])
    assert "学员名册" in disposition and world.program.title in disposition


def test_roster_excel_neutralises_formulas_and_keeps_the_roster_note(world, client_for):
    evil = UserFactory(
        full_name='=HYPERLINK("http://x","点我")', position="+1-2", phone="13700000001"
    )
    Enrollment.objects.create(
        program=world.program,
        user=evil,
        unit=world.county_a,
        status=Enrollment.Status.ENROLLED,
        source=Enrollment.Source.IMPORT,
        roster_note="@班长",
    )
    _r, ws = _xlsx(world, client_for)
    values = [c.value for row in ws.iter_rows(min_row=5) for c in row]
    assert '\'=HYPERLINK("http://x","点我")' in values
    assert "'+1-2" in values and "'@班长" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in values)
    assert ws["J4"].value == "备注"
