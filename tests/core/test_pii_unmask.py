"""Masked by default, unmasked with a reason and audited (issue 17 item 8): the roster page, the
import preview, the roster Excel and PDF, the trainee record, and the unmask endpoint."""

import io
import shutil
import subprocess

import pytest
from django.urls import reverse

from core.models import AuditLog, GeneratedFile
from enrollment import services

PHONE = "13812345678"
ID = "42010619900101123X"


@pytest.fixture
def trainee(world):
    world.trainee.phone, world.trainee.id_number = PHONE, ID
    world.trainee.save(update_fields=["phone", "id_number"])
    return world.trainee


def unmask(client, person, field="phone", reason="核对报名信息", htmx=True, **extra):
    url = reverse("pii_unmask", args=[person.pk, field])
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url, {"reason": reason}, headers=headers, **extra)


def test_the_roster_page_masks_phones_and_offers_the_control_to_who_may_unmask(
    world, client_for, trainee
):
    url = reverse("enrollment:roster", args=[world.program.pk])
    page = client_for(world.organizer).get(url).content.decode()
    assert PHONE not in page and "138****5678" in page
    assert reverse("pii_unmask", args=[trainee.pk, "phone"]) in page
    manager = client_for(world.manager).get(url)
    if manager.status_code == 200:  # class staff see the roster masked, with no control
        body = manager.content.decode()
        assert PHONE not in body and "138****5678" in body and "pii_unmask" not in body
        assert reverse("pii_unmask", args=[trainee.pk, "phone"]) not in body


def test_unmask_needs_a_reason_and_is_audited_with_who_whose_field_reason_and_address(
    world, client_for, trainee
):
    client = client_for(world.organizer)
    form = client.get(
        reverse("pii_unmask", args=[trainee.pk, "phone"]), headers={"HX-Request": "true"}
    )
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    assert PHONE not in form.content.decode() and "<html" not in form.content.decode()

    short = unmask(client, trainee, reason="看看")
    assert short.status_code == 200 and PHONE not in short.content.decode()
    assert not AuditLog.objects.filter(action="pii.unmask").exists()

    shown = unmask(client, trainee, reason="核对报名信息", REMOTE_ADDR="10.1.2.3")
    assert shown.status_code == 200 and PHONE in shown.content.decode()
    entry = AuditLog.objects.get(action="pii.unmask")
    assert entry.actor == world.organizer and entry.result == "success"
    assert entry.target_id == str(trainee.pk) and entry.after["field"] == "phone"
    assert entry.reason == "核对报名信息" and entry.client_ip == "10.1.2.3"

    assert ID in unmask(client_for(world.admin), trainee, field="id_number").content.decode()


@pytest.mark.parametrize(
    "role", ["outsider", "liaison", "manager", "other_trainee", "lecturer_user"]
)
def test_unmask_is_refused_out_of_scope_and_the_attempt_audited(world, client_for, trainee, role):
    r = unmask(client_for(getattr(world, role)), trainee)
    assert r.status_code == 404 and PHONE not in r.content.decode()
    entry = AuditLog.objects.get(action="pii.unmask")
    assert entry.result == "refused" and entry.actor == getattr(world, role)


def test_a_person_sees_their_own_and_unknown_fields_or_people_are_404(world, client_for, trainee):
    client = client_for(trainee)
    assert PHONE in unmask(client, trainee).content.decode()
    assert unmask(client, trainee, field="password").status_code == 404
    assert (
        client.post(reverse("pii_unmask", args=[0, "phone"]), {"reason": "abcd"}).status_code == 404
    )
    # without htmx the same form is a page of its own
    page = client_for(world.admin).get(reverse("pii_unmask", args=[trainee.pk, "phone"]))
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_the_import_preview_masks_phone_and_id_numbers(world, client_for):
    from tests.enrollment.factories import id_number, upload, workbook_bytes

    number = id_number(11)

    def build(ws):
        ws.append(["姓名", "手机号码", "身份证号", "单位"])
        ws.append(["新学员", "13700001234", number, "青湖区"])

    batch = services.import_preview_create(
        program=world.program, upload=upload(workbook_bytes(build)), by=world.organizer
    )
    page = client_for(world.organizer).get(reverse("enrollment:import_preview", args=[batch.pk]))
    cells = page.content.decode().split("<tbody", 1)[-1].split("<details", 1)[0]
    assert "137****1234" in cells and "13700001234" not in cells
    assert number[:4] + "**********" + number[-4:] in cells and number not in cells


def test_the_roster_excel_masks_phones(
    world, client_for, trainee, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.organizer).post(reverse("enrollment:export_xlsx", args=[world.program.pk]))
    gf = GeneratedFile.objects.get()
    with gf.file.open("rb") as f:
        workbook = load_workbook(io.BytesIO(f.read()))
    values = [str(c.value) for row in workbook.active.iter_rows() for c in row]
    assert "138****5678" in values and not any(PHONE in v for v in values)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_roster_pdf_masks_phones(
    world, client_for, trainee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.organizer).post(reverse("enrollment:export_pdf", args=[world.program.pk]))
    gf = GeneratedFile.objects.get()
    text = subprocess.run(
        ["pdftotext", gf.file.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert trainee.full_name in text and PHONE not in text


def test_the_trainee_record_shows_no_full_id_or_phone(world, client_for, trainee):
    page = client_for(world.admin).get(
        reverse("reports:trainee_record", args=[trainee.pk]), follow=True
    )  # the record lives in the credits app (the old address redirects)
    assert page.status_code == 200
    body = page.content.decode()
    assert PHONE not in body and ID not in body
