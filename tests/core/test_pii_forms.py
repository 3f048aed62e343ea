"""Sign-in sheets print only what their official form needs: names, units, a signature column —
no ID or phone number, masked or not (issue 17 item 8)."""

import io

import pytest
from openpyxl import load_workbook

from reports import rendering
from tests.reports.conftest import needs_poppler, pdf_pages_text
from tests.reports.factories import build_program

pytestmark = pytest.mark.django_db


def _people():
    program, sessions, users, _units = build_program(trainees=4, sessions=1, units=1)
    secrets = []
    for i, user in enumerate(users):
        user.phone, user.id_number = f"1370000{i:04d}", f"42010619900101{i:03d}X"
        user.save(update_fields=["phone", "id_number"])
        secrets += [user.phone, user.id_number, "****"]
    return program, sessions[0], users, secrets


@needs_poppler
def test_the_signin_sheet_pdf_prints_no_id_or_phone(tmp_path):
    _program, session, users, secrets = _people()
    path = tmp_path / "signin.pdf"
    path.write_bytes(rendering.signin_pdf(session=session))
    text = "\n".join(pdf_pages_text(path))
    assert all(u.full_name in text for u in users)
    assert not any(s in text for s in secrets)


def test_the_signin_workbook_prints_no_id_or_phone():
    _program, session, users, secrets = _people()
    wb = load_workbook(io.BytesIO(rendering.signin_xlsx(session=session)))
    text = "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row)
    assert all(u.full_name in text for u in users)
    assert not any(s in text for s in secrets)
