"""Closed programs are read-only for grades, scores and completion (programs contract 7); file
jobs always end (core.jobs); notices are stored for the reader's language; the trainee's home
shows one fresh credit figure."""

from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from attendance.models import AttendanceStatus
from core.errors import DomainError
from core.models import GeneratedFile, Notification
from core.services import generated_file_create
from evaluation import nav, selectors, services, tasks
from evaluation.models import Completion, Grade, Reflection, ScoreSheet
from programs.models import Program
from tests.evaluation.factories import attend, make_assignment, make_reflection, make_round

pytestmark = pytest.mark.django_db


def _close(program, status=Program.Status.COMPLETED):
    Program.objects.filter(pk=program.pk).update(status=status)
    program.refresh_from_db()


@pytest.mark.parametrize("status", [Program.Status.COMPLETED, Program.Status.ARCHIVED])
def test_grades_scores_and_completion_of_a_closed_program_are_refused(world, status):
    a = make_assignment(world.program)
    r = make_reflection(a, world.trainee)
    rnd = make_round(world.program, [world.manager])
    _close(world.program, status)
    with pytest.raises(DomainError, match="只能查看"):
        services.reflection_review(
            reflection=r, grade=Grade.GOOD, score=80, comment="", by=world.manager
        )
    with pytest.raises(DomainError, match="只能查看"):
        services.reflection_return(reflection=r, comment="改", by=world.manager)
    values = {str(c.pk): "5" for c in rnd.criteria.all()}
    with pytest.raises(DomainError, match="只能查看"):
        services.score_submit(
            rnd=rnd, presenter=rnd.presenters.first(), judge_user=world.manager, values=values
        )
    with pytest.raises(DomainError, match="只能查看"):
        services.completion_confirm(program=world.program, by=world.organizer)
    with pytest.raises(DomainError, match="只能查看"):
        services.credit_policy_set(program=world.program, by=world.manager, late_percent=10)
    r.refresh_from_db()
    assert r.status == Reflection.Status.SUBMITTED
    assert not ScoreSheet.objects.exists() and not Completion.objects.exists()


def test_an_admin_reopening_lets_the_correction_through(world):
    from programs.services import program_reopen

    _close(world.program)
    program_reopen(program=world.program, by=world.admin, reason="补录成绩")
    result = services.completion_confirm(program=world.program, by=world.organizer)
    assert result["trainees"] >= 1


def test_the_completion_page_says_why_a_closed_program_cannot_be_confirmed(client, world):
    _close(world.program)
    client.force_login(world.organizer)
    response = client.post(
        reverse("evaluation:completion_confirm", args=[world.program.pk]), follow=True
    )
    assert response.status_code == 200 and "只能查看" in response.content.decode()


def test_an_unexpected_error_ends_an_export_failed_with_a_message(world, monkeypatch):
    rnd = make_round(world.program, [world.manager])
    gf = generated_file_create(
        owner=world.manager, kind="evaluation.scoring_export", title="x", params={"round": rnd.pk}
    )

    def broken(*, rnd):
        raise KeyError("criterion")

    monkeypatch.setattr(services, "round_export_xlsx", broken)
    tasks.round_export_task(str(gf.pk), rnd.pk)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED and gf.error


def test_an_export_whose_data_is_gone_fails(world):
    gf = generated_file_create(
        owner=world.manager, kind="evaluation.certificate", title="x", params={"certificate": 0}
    )
    tasks.certificate_pdf_task(str(gf.pk), 987654)
    gf.refresh_from_db()
    assert gf.status == GeneratedFile.Status.FAILED and "不存在" in gf.error


def test_review_notices_keep_their_source_text_and_params(world):
    a = make_assignment(world.program, title="学习体会")
    r = make_reflection(a, world.trainee)
    services.reflection_review(
        reflection=r, grade=Grade.EXCELLENT, score=None, comment="写得好", by=world.manager
    )
    note = Notification.objects.get(user=world.trainee, kind="reflection_reviewed")
    assert note.title_msgid == "您的心得“%(t)s”已评阅:%(g)s"
    assert note.params["t"] == "学习体会"
    assert note.body == "写得好"


def test_the_trainee_panel_shows_one_fresh_yearly_figure(world):
    from django.utils import timezone

    year = timezone.localdate().year
    world.session.credit_hours = Decimal("3.5")
    world.session.save()
    request = RequestFactory().get("/")
    request.user = world.trainee

    def figure():
        [panel] = [p for p in nav.home_panels(request) if p.template.endswith("trainee.html")]
        return panel.context["total"]

    before = figure()
    attend(world.session, world.trainee, status=AttendanceStatus.PRESENT)
    after = figure()  # no rollup or cache in between: the figure follows the record at once
    assert after == before + Decimal("3.5")
    _records, total, _required = selectors.credit_record(user=world.trainee, year=year)
    assert after == total
