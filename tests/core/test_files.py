"""core.files: stored files only through access-checked views; nothing public under /media/."""

from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from core.files import safe_filename, serve_file
from core.models import GeneratedFile

pytestmark = pytest.mark.django_db

CHINESE_NAME = "云江市乡镇党政正职专题培训班 签到表.xlsx"


def _done_roster(owner, program):
    gf = GeneratedFile.objects.create(
        owner=owner,
        kind="enrollment.roster_pdf",
        title="花名册",
        params={"program": program.pk},
        status=GeneratedFile.Status.DONE,
        filename="花名册-云江市.pdf",
        content_type="application/pdf",
    )
    gf.file.save("roster.pdf", ContentFile(b"%PDF-1.4\nroster\n"), save=True)
    return gf


def _read(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_owner_downloads_their_export_as_an_attachment(world, client_for):
    gf = _done_roster(world.manager, world.program)
    response = client_for(world.manager).get(reverse("generated_file_download", args=[gf.pk]))
    assert response.status_code == 200
    assert _read(response) == b"%PDF-1.4\nroster\n"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('花名册-云江市.pdf')}" in disposition
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("role", ["outsider", "trainee", "organizer", "assistant", "lecturer"])
def test_anyone_but_the_owner_gets_a_404(world, client_for, role):
    gf = _done_roster(world.manager, world.program)
    user = world.by_role()[role]
    response = client_for(user).get(reverse("generated_file_download", args=[gf.pk]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_log_in(world, client_for):
    gf = _done_roster(world.manager, world.program)
    response = client_for(None).get(reverse("generated_file_download", args=[gf.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unfinished_or_vanished_file_is_a_404_not_a_500(world, client_for):
    gf = _done_roster(world.manager, world.program)
    client = client_for(world.manager)
    default_storage.delete(gf.file.name)
    assert client.get(reverse("generated_file_download", args=[gf.pk])).status_code == 404
    GeneratedFile.objects.filter(pk=gf.pk).update(status=GeneratedFile.Status.RUNNING)
    assert client.get(reverse("generated_file_download", args=[gf.pk])).status_code == 404


def test_nothing_under_media_is_served(world, client_for):
    gf = _done_roster(world.manager, world.program)
    name = default_storage.save("attachments/2026/03/proof.pdf", ContentFile(b"%PDF-1.4\n"))
    for path in (f"/media/{gf.file.name}", f"/media/{name}", "/media/"):
        for user in (None, world.manager, world.admin):
            assert client_for(user).get(path).status_code == 404, (path, user)


def test_serve_file_names_the_file_in_chinese_and_inlines_only_safe_types(world):
    stored = default_storage.save("t/page.html", ContentFile(b"<script>alert(1)</script>"))
    request = RequestFactory().get("/")

    class Field:
        name = stored

        def __bool__(self):
            return True

        def open(self, mode):
            return default_storage.open(self.name, mode)

    response = serve_file(request, Field(), filename="../../报告.html", inline=True)
    # HTML is never shown inline: it would run in our origin
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" + quote("报告.html") in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    response.close()

    pdf = default_storage.save("t/doc.pdf", ContentFile(b"%PDF-1.4\n"))
    Field.name = pdf
    response = serve_file(
        request, Field(), filename=CHINESE_NAME.replace(".xlsx", ".pdf"), inline=True
    )
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "application/pdf"
    response.close()


def test_serve_file_without_a_file_is_a_404(world):
    request = RequestFactory().get("/")
    with pytest.raises(Http404):
        serve_file(request, None, filename="x.pdf")


def test_safe_filename():
    assert safe_filename("a/b\\c:d?.pdf") == "c_d_.pdf"
    assert safe_filename("  ") == "download"
    assert safe_filename("签到表\r\n.xlsx") == "签到表__.xlsx"
    long = safe_filename("很" * 200 + ".xlsx")
    assert len(long) == 150 and long.endswith(".xlsx")
