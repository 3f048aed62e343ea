import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import EvaluationAnswer, Reflection, ScoreSheet
from tests.evaluation.factories import (
    attend,
    long_essay,
    make_assignment,
    make_reflection,
    make_round,
    score,
)
from tests.factories import EnrollmentFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_autosave_returns_the_saved_time_partial(world, client_for):
    a = make_assignment(world.program)
    c = client_for(world.trainee)
    r = c.post(
        reverse("evaluation:reflection_autosave", args=[a.pk]),
        {"body": "正在写的草稿", "title": "题目", "rev": "5"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="save-status"' in body and "已保存" in body and "<html" not in body
    assert Reflection.objects.get().body == "正在写的草稿"


def test_autosave_after_submission_is_refused_with_409(world, client_for):
    a = make_assignment(world.program)
    make_reflection(a, world.trainee)
    r = client_for(world.trainee).post(
        reverse("evaluation:reflection_autosave", args=[a.pk]),
        {"body": "x"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 409 and "不能再修改" in r.content.decode()


def test_editor_page_loads_the_autosave_script_and_saved_draft(world, client_for):
    a = make_assignment(world.program)
    c = client_for(world.trainee)
    c.post(reverse("evaluation:reflection_autosave", args=[a.pk]), {"body": "我的草稿", "rev": "9"})
    page = c.get(reverse("evaluation:reflection_write", args=[a.pk])).content.decode()
    assert "js/evaluation.js" in page and "我的草稿" in page
    assert 'data-server-rev="9"' in page and 'hx-trigger="input changed delay:1200ms' in page


def test_a_too_short_submission_keeps_the_text_and_shows_the_message(world, client_for):
    a = make_assignment(world.program, min_chars=500)
    c = client_for(world.trainee)
    r = c.post(
        reverse("evaluation:reflection_submit", args=[a.pk]), {"body": "太短的心得"}, follow=True
    )
    page = r.content.decode()
    assert "少于要求的 500 字" in page and "太短的心得" in page
    assert Reflection.objects.get().status == Reflection.Status.DRAFT


def test_submitting_through_the_page(world, client_for):
    a = make_assignment(world.program)
    r = client_for(world.trainee).post(
        reverse("evaluation:reflection_submit", args=[a.pk]),
        {"body": long_essay(), "title": "体会"},
        follow=True,
    )
    assert "心得已提交" in r.content.decode()
    assert Reflection.objects.get().status == Reflection.Status.SUBMITTED


def test_review_page_shows_overlapping_passages(world, client_for):
    from evaluation import services

    a = make_assignment(world.program)
    mate = UserFactory(full_name="雷同学员")
    EnrollmentFactory(program=world.program, user=mate)
    r1 = services.reflection_submit(assignment=a, user=world.trainee, body=long_essay(3))
    services.reflection_submit(assignment=a, user=mate, body="我也说几句。" + long_essay(3))
    page = client_for(world.manager).get(reverse("evaluation:reflection_review", args=[r1.pk]))
    html = page.content.decode()
    assert "雷同学员" in html and 'class="passage"' in html


def test_review_form_returns_for_revision(world, client_for):
    r = make_reflection(make_assignment(world.program), world.trainee)
    resp = client_for(world.manager).post(
        reverse("evaluation:reflection_review", args=[r.pk]),
        {"action": "return", "comment": "请补充具体举措"},
    )
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == Reflection.Status.RETURNED


def test_evaluation_form_records_an_anonymous_answer(world, client_for):
    world.session.start -= dt.timedelta(days=1)
    world.session.end -= dt.timedelta(days=1)
    world.session.save()
    attend(world.session, world.trainee)
    data = {"content": 4, "delivery": 3, "relevance": 4, "overall": 4, "comment": "解渴"}
    c = client_for(world.trainee)
    assert c.post(reverse("evaluation:evaluate", args=[world.session.pk]), data).status_code == 302
    assert EvaluationAnswer.objects.count() == 1
    again = c.get(reverse("evaluation:evaluate", args=[world.session.pk])).content.decode()
    assert "您已评价过" in again


def test_judge_scoring_twice_or_out_of_range_shows_a_message(world, client_for):
    rnd = make_round(world.program, [world.organizer])
    p = rnd.presenters.first()
    c1, c2 = rnd.criteria.all()
    url = reverse("evaluation:judge_score", args=[rnd.pk, p.pk])
    c = client_for(world.organizer)
    bad = c.post(url, {f"c{c1.pk}": "12", f"c{c2.pk}": "8"})
    assert bad.status_code == 400 and "之间" in bad.content.decode()
    assert c.post(url, {f"c{c1.pk}": "8", f"c{c2.pk}": "8"}).status_code == 302
    score_again = c.post(url, {f"c{c1.pk}": "9", f"c{c2.pk}": "9"})
    assert "已打分" in score_again.content.decode() or "不能重复" in score_again.content.decode()
    assert ScoreSheet.objects.count() == 1


def test_board_polls_until_the_round_is_locked(world, client_for):
    rnd = make_round(world.program, [world.organizer])
    score(rnd, rnd.presenters.first(), world.organizer, "9", "9")
    c = client_for(world.organizer)
    url = reverse("evaluation:round_board", args=[rnd.pk])
    r = c.get(url, headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'hx-trigger="every 3s"' in r.content.decode()
    assert "<html" not in r.content.decode()
    c.post(reverse("evaluation:round_lock", args=[rnd.pk]))
    r = c.get(url, headers={"HX-Request": "true"})
    assert r.status_code == 286  # htmx: stop polling


def test_callon_pick_renders_the_name_in_the_stage_partial(world, client_for):
    attend(world.session, world.trainee)
    r = client_for(world.manager).post(
        reverse("evaluation:callon_pick", args=[world.session.pk]), headers={"HX-Request": "true"}
    )
    html = r.content.decode()
    assert r.status_code == 200 and world.trainee.full_name in html and 'id="stage"' in html


# --- Query counts: the same number of queries at two data sizes --------------------------------


def _class_of(world, n, *, assignment=None, session=None):
    for i in range(n):
        u = UserFactory(full_name=f"学员{n}-{i}")
        EnrollmentFactory(program=world.program, user=u)
        if assignment is not None:
            make_reflection(assignment, u)
        if session is not None:
            attend(session, u)


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("page", ["review", "board", "completion", "results", "callon"])
def test_query_counts_do_not_grow_with_the_data(world, client_for, page):
    counts = []
    for size in (3, 30):
        a = make_assignment(world.program)
        s = SessionFactory(
            program=world.program,
            start=timezone.now() - dt.timedelta(days=2),
            end=timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=2),
        )
        _class_of(world, size, assignment=a, session=s)
        rnd = make_round(world.program, [world.organizer], presenters=size)
        for p in rnd.presenters.all():
            score(rnd, p, world.organizer, "8", "7")
        url = {
            "review": reverse("evaluation:assignment_detail", args=[a.pk]),
            "board": reverse("evaluation:round_board", args=[rnd.pk]),
            "completion": reverse("evaluation:completion", args=[world.program.pk]),
            "results": reverse("evaluation:program_results", args=[world.program.pk]),
            "callon": reverse("evaluation:callon", args=[s.pk]),
        }[page]
        counts.append(_count(client_for(world.organizer), url))
    assert counts[0] == counts[1], counts
