import io
import shutil
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import GeneratedFile
from core.pii import mask_phone
from enrollment import services
from enrollment.models import DiscussionGroup, Enrollment, ImportBatch, Quota
from programs.models import Program
from tests.enrollment.factories import PolicyFactory, QuotaFactory, upload, workbook_bytes
from tests.factories import EnrollmentFactory, ProgramFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrollment.Status


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---- liaison ---------------------------------------------------------------------------------


def test_liaison_nominates_from_the_quota_page_until_it_is_full(world, client_for):
    quota = QuotaFactory(program=world.program, unit=world.county_a, seats=1)
    c = client_for(world.liaison)
    page = c.get(reverse("enrollment:quota", args=[quota.pk]))
    assert page.status_code == 200 and "提名参训人员" in page.content.decode()
    a, b = UserFactory(unit=world.county_a), UserFactory(unit=world.county_a)
    r = c.post(reverse("enrollment:nominate", args=[quota.pk]), {"user": a.pk}, follow=True)
    assert any("已提名" in m for m in messages_of(r))
    r = c.post(reverse("enrollment:nominate", args=[quota.pk]), {"user": b.pk}, follow=True)
    assert any("名额已用完" in m for m in messages_of(r))
    assert Enrollment.objects.filter(quota=quota).count() == 1


def test_nominating_another_units_cadre_shows_a_clear_message(world, client_for):
    quota = QuotaFactory(program=world.program, unit=world.county_a, seats=3)
    r = client_for(world.liaison).post(
        reverse("enrollment:nominate", args=[quota.pk]),
        {"user": world.other_trainee.pk},
        follow=True,
    )
    assert any("不是" in m for m in messages_of(r))
    assert not Enrollment.objects.filter(user=world.other_trainee).exists()


def test_candidate_search_returns_the_partial_for_htmx(world, client_for):
    quota = QuotaFactory(program=world.program, unit=world.county_a, seats=3)
    UserFactory(unit=world.county_a, full_name="林可为")
    r = client_for(world.liaison).get(
        reverse("enrollment:quota", args=[quota.pk]), {"q": "林可"}, headers={"HX-Request": "true"}
    )
    body = r.content.decode()
    assert r.status_code == 200 and "林可为" in body and "<html" not in body


def test_liaison_substitutes_from_the_quota_page(world, client_for):
    quota = QuotaFactory(program=world.program, unit=world.county_a, seats=1)
    old = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    new = UserFactory(unit=world.county_a)
    r = client_for(world.liaison).post(
        reverse("enrollment:substitute", args=[old.pk]),
        {"user": new.pk, "reason": "借调"},
        follow=True,
    )
    assert any("替换" in m for m in messages_of(r))
    old.refresh_from_db()
    assert old.status == S.WITHDRAWN and old.substituted_by.user == new


# ---- organizer -------------------------------------------------------------------------------


def test_organizer_sets_quotas_and_policy(world, client_for):
    c = client_for(world.organizer)
    url = reverse("enrollment:quotas", args=[world.program.pk])
    r = c.post(url, {"unit": world.county_a.pk, "seats": 4})
    assert r.status_code == 302
    assert Quota.objects.get(program=world.program, unit=world.county_a).seats == 4
    r = c.post(url, {"unit": world.city_b.pk, "seats": 4})  # not offered: form error
    assert r.status_code == 200 and not Quota.objects.filter(unit=world.city_b).exists()
    r = c.post(
        reverse("enrollment:policy", args=[world.program.pk]),
        {"applications_open": "on", "waitlist_enabled": "on"},
    )
    assert world.program.enrollment_policy.applications_open


def test_review_page_lists_and_decides(world, client_for):
    quota = QuotaFactory(program=world.program, unit=world.county_a, seats=2)
    nominee = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    c = client_for(world.organizer)
    page = c.get(reverse("enrollment:review", args=[world.program.pk]))
    assert nominee.user.full_name in page.content.decode()
    c.post(reverse("enrollment:nomination_confirm", args=[nominee.pk]))
    nominee.refresh_from_db()
    assert nominee.status == S.ENROLLED
    r = c.post(reverse("enrollment:nomination_confirm", args=[nominee.pk]), follow=True)
    assert any("已处理" in m for m in messages_of(r))  # a double submission is harmless


def test_send_back_without_reason_is_a_message_not_a_500(world, client_for):
    quota = QuotaFactory(program=world.program, unit=world.county_a, seats=2)
    nominee = services.nomination_create(
        quota=quota, user=UserFactory(unit=world.county_a), by=world.liaison
    )
    r = client_for(world.organizer).post(
        reverse("enrollment:nomination_send_back", args=[nominee.pk]), {"reason": ""}, follow=True
    )
    assert r.status_code == 200 and any("原因" in m for m in messages_of(r))


# ---- trainee ---------------------------------------------------------------------------------


@pytest.fixture
def open_program(world):
    p = ProgramFactory(
        organizing_unit=world.program.organizing_unit, capacity=1, title="局长讲堂第3期"
    )
    PolicyFactory(program=p, applications_open=True)
    return p


def test_trainee_sees_open_programs_and_applies_once(world, client_for, open_program):
    c = client_for(world.trainee)
    page = c.get(reverse("enrollment:open"))
    assert "局长讲堂第3期" in page.content.decode()
    r = c.post(reverse("enrollment:apply", args=[open_program.pk]), follow=True)
    assert any("已提交" in m for m in messages_of(r))
    r = c.post(reverse("enrollment:apply", args=[open_program.pk]), follow=True)
    assert any("已有记录" in m for m in messages_of(r))
    assert Enrollment.objects.filter(program=open_program, user=world.trainee).count() == 1
    mine = c.get(reverse("enrollment:mine"))
    assert "局长讲堂第3期" in mine.content.decode()


def test_applying_to_a_full_program_warns_about_the_waitlist(world, client_for, open_program):
    EnrollmentFactory(program=open_program)
    r = client_for(world.trainee).post(
        reverse("enrollment:apply", args=[open_program.pk]), follow=True
    )
    assert any("候补" in m for m in messages_of(r))


def test_applying_to_a_closed_program_is_refused_with_a_message(world, client_for):
    r = client_for(world.trainee).post(
        reverse("enrollment:apply", args=[world.program.pk]), follow=True
    )
    assert any("不接受报名" in m for m in messages_of(r))


def test_outsiders_cannot_see_open_programs_of_another_city(world, client_for, open_program):
    page = client_for(world.other_trainee).get(reverse("enrollment:open"))
    assert "局长讲堂第3期" not in page.content.decode()


def test_trainee_requests_withdrawal_and_organizer_approves(world, client_for):
    e = Enrollment.objects.get(program=world.program, user=world.trainee)
    client_for(world.trainee).post(
        reverse("enrollment:withdraw", args=[e.pk]), {"reason": "单位有紧急任务"}
    )
    wr = e.withdrawal_requests.get()
    client_for(world.organizer).post(reverse("enrollment:withdrawal_approve", args=[wr.pk]))
    e.refresh_from_db()
    assert e.status == S.WITHDRAWN
    roster = client_for(world.organizer).get(reverse("enrollment:roster", args=[world.program.pk]))
    assert "退训与未通过记录" in roster.content.decode()


# ---- import ----------------------------------------------------------------------------------


def test_upload_of_a_non_excel_file_shows_an_error_and_stores_nothing(world, client_for):
    r = client_for(world.organizer).post(
        reverse("enrollment:import_upload", args=[world.program.pk]),
        {"file": upload(b"%PDF-1.4 not a roster", name="名册.xlsx")},
    )
    assert r.status_code == 200 and "只接受 Excel" in r.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_of_a_20mb_file_is_refused(world, client_for):
    r = client_for(world.organizer).post(
        reverse("enrollment:import_upload", args=[world.program.pk]),
        {"file": upload(b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024))},
    )
    # Refused before the body is read (core's request-size limit), or by the upload check.
    assert r.status_code == 413 or "文件过大" in r.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_preview_confirm_without_reupload(world, client_for):
    UserFactory(full_name="张三", phone="13912345678", unit=world.county_a)

    def build(ws):
        ws.append(["学员名册"])
        ws.merge_cells("A1:C1")
        ws.append(["姓名", "单位", "手机号码"])
        ws.append(["张\u3000三", "青湖区", 13912345678])
        ws.append(["赵六", "青湖区", 13800001111])
        ws.append(["填表人:沈书瑶"])

    c = client_for(world.organizer)
    r = c.post(
        reverse("enrollment:import_upload", args=[world.program.pk]),
        {"file": upload(workbook_bytes(build))},
    )
    batch = ImportBatch.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse(
        "enrollment:import_preview", args=[batch.pk]
    )
    page = c.get(r["Location"]).content.decode()
    assert "张三" in page and "新人员" in page
    assert Enrollment.objects.filter(program=world.program).count() == 1  # nothing written yet
    r = c.post(reverse("enrollment:import_confirm", args=[batch.pk]), {"create_missing": "1"})
    assert r.status_code == 302
    names = set(
        Enrollment.objects.filter(program=world.program, status=S.ENROLLED).values_list(
            "user__full_name", flat=True
        )
    )
    assert {"张三", "赵六"} <= names


# ---- groups ----------------------------------------------------------------------------------


def test_generate_groups_and_move_by_htmx(world, client_for):
    for _ in range(5):
        EnrollmentFactory(program=world.program, user=UserFactory(unit=world.county_a))
    c = client_for(world.organizer)
    c.post(
        reverse("enrollment:groups_generate", args=[world.program.pk]),
        {"count": 2, "rooms": "研讨室301\n研讨室302"},
    )
    g1, g2 = DiscussionGroup.objects.filter(program=world.program)
    assert g1.room == "研讨室301"
    e = Enrollment.objects.filter(group=g1).first()
    r = c.post(
        reverse("enrollment:group_move", args=[world.program.pk]),
        {"enrollment": e.pk, "group": g2.pk},
        headers={"HX-Request": "true"},
    )
    body = r.content.decode()
    assert r.status_code == 200 and 'id="group-board"' in body and "<html" not in body
    e.refresh_from_db()
    assert e.group == g2
    page = c.get(reverse("enrollment:groups", args=[world.program.pk])).content.decode()
    assert "研讨室302" in page


def test_group_edit_rejects_a_leader_from_another_group(world, client_for):
    for _ in range(3):
        EnrollmentFactory(program=world.program, user=UserFactory(unit=world.county_a))
    services.groups_generate(program=world.program, count=2, by=world.organizer)
    g1, g2 = DiscussionGroup.objects.filter(program=world.program)
    stranger = Enrollment.objects.filter(group=g2).first().user
    r = client_for(world.organizer).post(
        reverse("enrollment:group_edit", args=[g1.pk]),
        {"name": "第一组", "room": "", "leader": stranger.pk},
        follow=True,
    )
    assert r.status_code == 200
    g1.refresh_from_db()
    assert g1.leader != stranger


# ---- exports ---------------------------------------------------------------------------------


def test_excel_export_has_a_frozen_header_widths_and_masked_phones(world, client_for):
    from tests.enrollment.test_exports import _xlsx

    _r, ws = _xlsx(world, client_for)
    # two title lines and a blank row above the header (core.tabular)
    assert ws.freeze_panes == "A5"
    assert ws["B4"].value == "姓名" and ws["B5"].value == world.trainee.full_name
    assert ws.column_dimensions["D"].width >= 20
    # masked by default (core.pii); a text cell, never a number
    assert ws["G5"].value == mask_phone(world.trainee.phone) != world.trainee.phone


def test_excel_export_full_phones_only_when_asked_with_a_reason(
    world, client_for, django_capture_on_commit_callbacks
):
    from openpyxl import load_workbook

    client = client_for(world.organizer)
    url = reverse("enrollment:export_xlsx", args=[world.program.pk])
    r = client.post(url, {"full_pii": "1"})  # no reason: asked for it, nothing written
    assert r.status_code == 200 and not GeneratedFile.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, {"full_pii": "1", "export_reason": "核对报到名单"})
    gf = GeneratedFile.objects.get()
    assert gf.params.get("full_pii") is True and gf.status == GeneratedFile.Status.DONE
    body = b"".join(client.get(reverse("generated_file_download", args=[gf.pk])).streaming_content)
    assert load_workbook(io.BytesIO(body)).active["G5"].value == world.trainee.phone


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_export_embeds_chinese_names(world, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(world.organizer).post(
            reverse("enrollment:export_pdf", args=[world.program.pk])
        )
    gf = GeneratedFile.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("generated_file", args=[gf.pk])
    assert gf.status == GeneratedFile.Status.DONE
    text = subprocess.run(
        ["pdftotext", gf.file.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert world.trainee.full_name in text and world.program.title in text


# ---- home page panels ------------------------------------------------------------------------


def test_home_panels_by_role(world, client_for, open_program):
    QuotaFactory(program=world.program, unit=world.county_a, seats=2)
    liaison_home = client_for(world.liaison).get(reverse("home")).content.decode()
    assert "本单位调训名额" in liaison_home
    trainee_home = client_for(world.trainee).get(reverse("home")).content.decode()
    assert "局长讲堂第3期" in trainee_home
    services.application_create(program=open_program, user=world.trainee)
    organizer_home = client_for(world.organizer).get(reverse("home")).content.decode()
    assert "待审核" in organizer_home and "局长讲堂第3期" in organizer_home


# ---- query counts at two sizes ----------------------------------------------------------------


def _fill(world, program, n):
    quota = Quota.objects.get_or_create(
        program=program, unit=world.county_a, defaults={"seats": 500}
    )[0]
    for i in range(n):
        status = [S.ENROLLED, S.ENROLLED, S.NOMINATED, S.APPLIED, S.WITHDRAWN][i % 5]
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=world.county_a),
            status=status,
            quota=quota if status == S.NOMINATED else None,
        )


PAGES = [
    ("enrollment:roster", True, "organizer"),
    ("enrollment:review", True, "organizer"),
    ("enrollment:quotas", True, "organizer"),
    ("enrollment:groups", True, "organizer"),
    ("enrollment:reviews", False, "organizer"),
    ("enrollment:liaison", False, "liaison"),
    ("enrollment:open", False, "trainee"),
    ("enrollment:mine", False, "trainee"),
]


@pytest.mark.parametrize(("name", "with_pk", "role"), PAGES)
def test_query_count_does_not_grow_with_the_roster(world, client_for, name, with_pk, role):
    Program.objects.filter(pk=world.program.pk).update(capacity=1000)
    PolicyFactory(program=world.program, applications_open=True)
    user = getattr(world, role)
    url = reverse(name, args=[world.program.pk] if with_pk else [])
    counts = []
    for n in (5, 50):
        _fill(world, world.program, n)
        if name == "enrollment:groups":
            services.groups_generate(program=world.program, count=3, by=world.organizer)
        c = client_for(user)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], f"{name}: {counts}"


def test_quota_page_query_count_is_flat(world, client_for):
    quota = Quota.objects.create(program=world.program, unit=world.county_a, seats=500)
    client_for(world.liaison).get(reverse("enrollment:quota", args=[quota.pk]))  # warm caches
    counts = []
    for n in (5, 50):
        for _ in range(n):
            EnrollmentFactory(
                program=world.program,
                user=UserFactory(unit=world.county_a),
                status=S.NOMINATED,
                quota=quota,
            )
            UserFactory(unit=world.county_a)
        with CaptureQueriesContext(connection) as ctx:
            assert (
                client_for(world.liaison)
                .get(reverse("enrollment:quota", args=[quota.pk]))
                .status_code
                == 200
            )
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_groups_page_lists_one_group_at_a_time(world, client_for):
    """A large class's groups page sends every group's counts but one group's members (issue
    18): the first group by default, another or the ungrouped on request."""
    for _ in range(6):
        EnrollmentFactory(program=world.program, user=UserFactory(unit=world.county_a))
    c = client_for(world.organizer)
    c.post(reverse("enrollment:groups_generate", args=[world.program.pk]), {"count": 2})
    g1, g2 = DiscussionGroup.objects.filter(program=world.program).order_by("number")
    # (a group's leader is named on its card, listed or not)
    in_g1 = [e.user.full_name for e in Enrollment.objects.filter(group=g1).exclude(user=g1.leader)]
    in_g2 = [e.user.full_name for e in Enrollment.objects.filter(group=g2).exclude(user=g2.leader)]
    loose = Enrollment.objects.filter(group=g2).exclude(user=g2.leader).first()
    Enrollment.objects.filter(pk=loose.pk).update(group=None)
    url = reverse("enrollment:groups", args=[world.program.pk])
    page = c.get(url).content.decode()
    assert all(name in page for name in in_g1)
    assert not any(name in page for name in in_g2)
    assert f"{len(in_g2)} 人" in page  # g2's count (its leader and the others) without them
    page = c.get(f"{url}?g={g2.pk}").content.decode()
    assert all(name in page for name in in_g2 if name != loose.user.full_name)
    assert not any(name in page for name in in_g1)
    page = c.get(f"{url}?g=none").content.decode()
    assert loose.user.full_name in page
    r = c.post(
        reverse("enrollment:group_move", args=[world.program.pk]),
        {"enrollment": loose.pk, "group": g1.pk, "shown": "none"},
    )
    assert r.status_code == 302 and r["Location"].endswith("?g=none")
