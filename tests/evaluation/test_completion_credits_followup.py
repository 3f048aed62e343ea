import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Rank
from attendance.models import AttendanceStatus
from core.errors import DomainError
from core.models import Notification
from evaluation import selectors, services
from evaluation.models import Certificate, Commitment, Completion, CreditPolicy, Grade, Reflection
from tests.evaluation.factories import (
    attend,
    make_assignment,
    make_certificate,
    make_commitment,
    make_reflection,
)
from tests.factories import EnrollmentFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _past_sessions(world, n):
    """n finished sessions of the world's program (the world's own session is moved to the past)."""
    start = timezone.now() - dt.timedelta(days=n + 1)
    sessions = []
    for i in range(n):
        s = world.session if i == 0 else SessionFactory(program=world.program)
        s.start = start + dt.timedelta(days=i)
        s.end = s.start + dt.timedelta(hours=3)
        s.save()
        sessions.append(s)
    return sessions


def _trainee(world, name):
    u = UserFactory(full_name=name)
    EnrollmentFactory(program=world.program, user=u)
    return u


def test_completion_reasons_follow_each_rule(world):
    program = world.program
    program.completion_min_attendance_rate = 80
    program.completion_max_unexcused_absences = 0
    program.completion_requires_reflection = True
    program.completion_min_score = Decimal("60")
    program.save()
    sessions = _past_sessions(world, 5)
    a = make_assignment(program)
    good, absent, no_essay, low = (_trainee(world, n) for n in ("甲好", "乙缺", "丙无", "丁低"))
    for u in (good, no_essay, low, absent):
        for s in sessions[: 4 if u is absent else 5]:
            attend(s, u)
    for u, sc in ((good, "85"), (absent, "85"), (low, "50")):
        make_reflection(a, u, status=Reflection.Status.REVIEWED, grade=Grade.GOOD, score=sc)
    rows = {r.user.pk: r for r in selectors.completion_assess(program=program)}
    assert rows[good.pk].passed and rows[good.pk].reasons == []
    assert rows[absent.pk].unexcused == 1 and str(rows[absent.pk].rate) == "80.0"
    assert any("旷课 1 次" in x for x in rows[absent.pk].reasons)
    assert rows[no_essay.pk].reasons == ["学习体会未提交或未通过评阅", "尚无成绩(要求不低于 60)"]
    assert any("成绩 50.0" in x for x in rows[low.pk].reasons)
    # the world's own trainee attended nothing
    assert any("出勤率 0.0%" in x for x in rows[world.trainee.pk].reasons)


def test_leave_counts_toward_the_rate_only_when_the_program_says_so(world):
    world.program.completion_requires_reflection = False
    world.program.completion_min_attendance_rate = 100
    world.program.save()
    s1, s2 = _past_sessions(world, 2)
    attend(s1, world.trainee)
    attend(s2, world.trainee, status=AttendanceStatus.ON_LEAVE, checkin=False)
    row = selectors.completion_assess(program=world.program)[0]
    assert str(row.rate) == "50.0" and row.unexcused == 0 and not row.passed
    world.program.leave_counts_as_attended = True
    world.program.save()
    assert selectors.completion_assess(program=world.program)[0].passed


def test_confirming_issues_one_certificate_per_passing_trainee(world):
    world.program.completion_requires_reflection = False
    world.program.save()
    (s,) = _past_sessions(world, 1)
    attend(s, world.trainee)
    failing = _trainee(world, "未结业学员")
    result = services.completion_confirm(program=world.program, by=world.organizer)
    assert result == {"trainees": 2, "passed": 1, "issued": 1, "revoked": 0, "reinstated": 0}
    cert = Certificate.objects.get()
    assert cert.completion.user == world.trainee and cert.holder_name == world.trainee.full_name
    assert not Completion.objects.get(user=failing).passed
    assert Notification.objects.filter(user=world.trainee, kind="completion").count() == 1
    # A second confirmation, after one more trainee came to pass: only the new holder hears.
    attend(s, failing)
    again = services.completion_confirm(program=world.program, by=world.organizer)
    assert again["issued"] == 1 and Certificate.objects.count() == 2
    assert Notification.objects.filter(user=world.trainee, kind="completion").count() == 1
    assert Notification.objects.filter(user=failing, kind="completion").count() == 1


def test_certificate_pdf_names_the_holder_with_an_embedded_cjk_font(world):
    cert = make_certificate(world.program, world.trainee)
    pdf = services.certificate_pdf(cert=cert)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert world.trainee.full_name in text and cert.serial in text and "结业证书" in text
    fonts = subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)


def test_verification_page_shows_what_a_verifier_needs_only(client, world):
    world.trainee.phone = "13900001111"
    world.trainee.save()
    cert = make_certificate(world.program, world.trainee)
    response = client.get(reverse("evaluation:verify", args=[cert.serial]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "证书真实有效" in body and cert.program_title in body
    assert "学**三" in body and cert.holder_name not in body  # masked: 学员张三 → 学**三
    assert world.trainee.unit.name not in body and "13900001111" not in body


def test_verification_of_a_forged_number_is_a_clear_not_found(client, world):
    make_certificate(world.program, world.trainee)
    response = client.get(reverse("evaluation:verify", args=["JY2026-00001-FORGED"]))
    assert response.status_code == 404
    assert "未找到该证书" in response.content.decode()


def test_verify_form_redirects_to_the_number(client):
    response = client.get(reverse("evaluation:verify_form"), {"serial": " JY1 "})
    assert response.status_code == 302 and response["Location"].endswith("/verify/JY1/")


def test_credit_hours_follow_the_policy_for_each_status(world):
    s1, s2, s3 = _past_sessions(world, 3)
    attend(s1, world.trainee)  # 3.0
    attend(s2, world.trainee, status=AttendanceStatus.LATE)  # default 50% → 1.5
    attend(s3, world.trainee, status=AttendanceStatus.ABSENT, checkin=False)  # 0
    year = s1.start.astimezone(timezone.get_current_timezone()).year
    _records, total, required = selectors.credit_record(user=world.trainee, year=year)
    assert total == Decimal("4.5")
    assert required == Decimal("90")  # the default for 乡科级
    CreditPolicy.objects.create(program=world.program, late_percent=100)
    assert selectors.credit_record(user=world.trainee, year=year)[1] == Decimal("6.0")


def _require(rank, hours, year=None):
    """A national requirement row in the training record's policy (credits keeps it)."""
    from credits.models import Requirement

    year = year or timezone.localdate().year
    Requirement.objects.update_or_create(
        rank=rank,
        unit=None,
        effective_from=dt.date(year, 1, 1),
        defaults={"annual_hours": Decimal(hours), "online_hours": 0},
    )


def test_requirements_per_rank_come_from_the_training_records_policy(world):
    assert selectors.required_hours_by_rank()[Rank.SECTION] == Decimal("90")
    assert selectors.required_hours_by_rank()[Rank.COUNTY] == Decimal("110")  # 550 / 5
    _require(Rank.SECTION, "60")
    assert selectors.required_hours_by_rank()[Rank.SECTION] == Decimal("60")


def test_overview_lists_who_is_behind_within_the_organizers_units(world):
    (s,) = _past_sessions(world, 1)
    attend(s, world.trainee)
    year = s.start.astimezone(timezone.get_current_timezone()).year
    _require(Rank.SECTION, "3", year)
    rows = {u.pk: u for u in selectors.credit_overview(user=world.organizer, year=year)}
    assert world.trainee.pk in rows and rows[world.trainee.pk].earned == Decimal("3")
    behind = {
        u.pk for u in selectors.credit_overview(user=world.organizer, year=year, behind_only=True)
    }
    assert world.trainee.pk not in behind
    assert world.manager.pk not in rows or rows[world.manager.pk].shortfall > 0
    outsider_view = {u.pk for u in selectors.credit_overview(user=world.outsider, year=year)}
    assert world.trainee.pk not in outsider_view


def test_overview_judges_the_hours_as_the_trainee_record_shows_them(world):
    """1.25 hours show as 1.3 (round_hours, half up) on the trainee's page, which meets a
    requirement of 1.3; the overview must agree rather than list them 0.05 hours behind."""
    (s,) = _past_sessions(world, 1)
    s.credit_hours = Decimal("2.5")
    s.save()
    attend(s, world.trainee, status=AttendanceStatus.LATE)  # default 50% → 1.25
    year = s.start.astimezone(timezone.get_current_timezone()).year
    _require(Rank.SECTION, "1.3", year)
    assert selectors.credit_record(user=world.trainee, year=year)[1] == Decimal("1.3")
    rows = {u.pk: u for u in selectors.credit_overview(user=world.organizer, year=year)}
    assert rows[world.trainee.pk].earned == Decimal("1.3")
    assert rows[world.trainee.pk].shortfall == 0
    behind = selectors.credit_overview(user=world.organizer, year=year, behind_only=True)
    assert world.trainee.pk not in {u.pk for u in behind}


def test_commitments_need_a_passed_completion(world):
    due = timezone.localdate() + dt.timedelta(days=30)
    with pytest.raises(DomainError, match="结业后"):
        services.commitment_create(
            program=world.program, user=world.trainee, title="建台账", description="", due_date=due
        )
    make_certificate(world.program, world.trainee)
    c = services.commitment_create(
        program=world.program, user=world.trainee, title="建台账", description="", due_date=due
    )
    with pytest.raises(DomainError, match="不能早于今天"):
        services.commitment_create(
            program=world.program,
            user=world.trainee,
            title="x",
            description="",
            due_date=timezone.localdate() - dt.timedelta(1),
        )
    services.commitment_progress(commitment=c, user=world.trainee, note="已完成", progress=100)
    c.refresh_from_db()
    assert c.status == Commitment.Status.DONE and c.updates.count() == 1


def test_progress_must_be_a_percentage_and_by_the_owner(world):
    c = make_commitment(world.program, world.trainee)
    with pytest.raises(DomainError):
        services.commitment_progress(commitment=c, user=world.trainee, note="x", progress=120)
    with pytest.raises(DomainError):
        services.commitment_progress(commitment=c, user=world.manager, note="x", progress=10)


def test_organizers_see_who_is_behind_and_remind_them(world):
    on_track = _trainee(world, "按期学员")
    late = make_commitment(
        world.program, world.trainee, due_date=timezone.localdate() - dt.timedelta(days=1)
    )
    make_commitment(world.program, on_track)
    rows = selectors.followup_rows(program=world.program)
    assert [c.pk for c in rows if c.behind] == [late.pk]
    assert services.followup_remind(program=world.program, by=world.organizer) == 1
    assert Notification.objects.filter(user=world.trainee, kind="followup_reminder").exists()
    assert not Notification.objects.filter(user=on_track, kind="followup_reminder").exists()
