"""The class archive (一期一档): one zip of a finished program's documents, made by the export
job, for the program's managers and admins only."""

import io
import zipfile

import pytest
from django.urls import reverse

from core.models import GeneratedFile
from programs.models import Program
from tests.permissions import ROLES
from tests.reports.factories import build_program
from tests.reports.permissions_table import PROGRAM_POST

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _finish(program):
    Program.objects.filter(pk=program.pk).update(status=Program.Status.COMPLETED)


def test_the_archive_zip_opens_and_lists_every_document(world, client_for, committed):
    build_program(trainees=6, sessions=2, units=2, program=world.program, parent=world.city_a)
    _finish(world.program)
    client = client_for(world.manager)
    with committed():
        response = client.post(
            reverse("reports:program_export", args=[world.program.pk]), {"kind": "archive_zip"}
        )
    gf = GeneratedFile.objects.get(owner=world.manager)
    assert response.status_code == 302
    assert gf.status == GeneratedFile.Status.DONE, gf.error
    assert gf.filename.endswith(".zip")
    download = client.get(reverse("generated_file_download", args=[gf.pk]))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = archive.namelist()
    assert names[0] == "00-目录.txt"
    for part in ("学员名册", "考勤汇总表", "教学评估汇总", "结业名单"):
        assert any(part in n for n in names), (part, names)
    sheets = [n for n in names if n.startswith("03-签到表/")]
    assert len(sheets) == world.program.sessions.exclude(status="cancelled").count()
    for name in names:
        assert archive.read(name), name
    for name in sheets:
        assert archive.read(name).startswith(b"%PDF")
    index = archive.read("00-目录.txt").decode()
    assert world.program.title in index
    assert all(n in index for n in names[1:])


def test_a_running_program_has_no_archive_yet(world, client_for):
    Program.objects.filter(pk=world.program.pk).update(
        status=Program.Status.RUNNING, end_date="2999-01-01"
    )
    client = client_for(world.manager)
    page = client.get(reverse("reports:program_exports", args=[world.program.pk]))
    assert "archive_zip" not in page.content.decode()
    client.post(reverse("reports:program_export", args=[world.program.pk]), {"kind": "archive_zip"})
    assert not GeneratedFile.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_ask_for_the_archive(world, client_for, role):
    """The same access as the program's other exports (reports:program_export's table row)."""
    _finish(world.program)
    user = None if role == "anonymous" else world.by_role()[role]
    response = client_for(user).post(
        reverse("reports:program_export", args=[world.program.pk]), {"kind": "archive_zip"}
    )
    expected = PROGRAM_POST[role]
    if expected == 302 or role == "anonymous":
        assert response.status_code == 302
    else:  # refused as for the other exports (a finished program may be hidden: 404)
        assert response.status_code in (403, 404)
    made = GeneratedFile.objects.filter(kind="reports.archive_zip").exists()
    assert made == (role not in ("anonymous",) and expected == 302)
