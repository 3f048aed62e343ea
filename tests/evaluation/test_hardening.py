"""Issue 12 for evaluation: bounded text, bounded similarity, finite numbers, nobody decides
their own case, the public certificate check (rate limit, masking, pasted URLs)."""

import datetime as dt
import time
import tracemalloc
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from evaluation import selectors, services, similarity
from evaluation.models import (
    COMMENT_MAX,
    REFLECTION_MAX,
    Reflection,
    ScoreSheet,
    ScoringCriterion,
)
from tests.evaluation.factories import (
    long_essay,
    make_assignment,
    make_certificate,
    make_reflection,
    make_round,
)
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NON_FINITE = ["NaN", "nan", "sNaN", "-sNaN", "Infinity", "-Infinity", "inf", "-inf", "1e999999"]


# --- Unbounded text ---------------------------------------------------------------------------


def test_a_million_character_submission_is_refused_with_a_clear_message(world):
    a = make_assignment(world.program, min_chars=50)
    huge = "学" * 1_000_000
    with pytest.raises(DomainError, match=f"最多 {REFLECTION_MAX} 字") as exc:
        services.reflection_submit(assignment=a, user=world.trainee, body=huge)
    assert exc.value.field == "body"
    with pytest.raises(DomainError, match="未保存"):
        services.reflection_save_draft(assignment=a, user=world.trainee, body=huge, rev=1)
    assert not Reflection.objects.filter(author=world.trainee).exists()


def test_the_submit_view_refuses_a_huge_body_and_says_why(client, world):
    a = make_assignment(world.program, min_chars=50)
    client.force_login(world.trainee)
    response = client.post(
        reverse("evaluation:reflection_submit", args=[a.pk]),
        {"body": "学" * (REFLECTION_MAX + 1)},
        follow=True,
    )
    assert response.status_code == 200
    assert "正文过长" in response.content.decode()
    assert not Reflection.objects.filter(status=Reflection.Status.SUBMITTED).exists()


def test_the_database_refuses_an_oversized_body(world):
    a = make_assignment(world.program)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_reflection(a, world.trainee, body="学" * (REFLECTION_MAX + 1))


def test_review_comments_and_commitment_notes_are_bounded(world):
    a = make_assignment(world.program)
    r = make_reflection(a, world.trainee)
    with pytest.raises(DomainError, match="评语过长"):
        services.reflection_review(
            reflection=r,
            grade="good",
            score=None,
            comment="好" * (COMMENT_MAX + 1),
            by=world.manager,
        )
    with pytest.raises(DomainError, match="修改意见过长"):
        services.reflection_return(reflection=r, comment="改" * (COMMENT_MAX + 1), by=world.manager)


def _insert_oversized_directly(reflection, text):
    """A text stored before the bound existed (or by hand): bypass the CHECK constraint."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:  # rolled back with the test's transaction
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE evaluation_reflection DROP CONSTRAINT reflection_body_length"
            )
        cursor.execute(
            "UPDATE evaluation_reflection SET body = %s WHERE id = %s", [text, reflection.pk]
        )
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_a_stored_oversized_essay_does_not_slow_a_classmates_submission(world):
    a = make_assignment(world.program, min_chars=50)
    abuser = UserFactory(unit=world.county_a)
    EnrollmentFactory(program=world.program, user=abuser)
    stored = make_reflection(a, abuser, body=long_essay())
    # 1 M characters, much of it the classmate's own text, so the pair is even compared in full.
    _insert_oversized_directly(stored, long_essay(11000, seed="各不相同的开头"))
    assert len(Reflection.objects.get(pk=stored.pk).body) > 1_000_000

    tracemalloc.start()
    started = time.perf_counter()
    services.reflection_submit(assignment=a, user=world.trainee, body=long_essay(6))
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # Unbounded, this took 1.6 s and 117 MB; bounded, it is one essay's worth of work.
    assert elapsed < 1.0, elapsed
    assert peak < 15 * 1024 * 1024, peak


def test_similarity_looks_at_a_bounded_head_of_each_text():
    assert len(similarity.normalize("学" * 1_000_000)) == similarity.SCAN_CHARS
    score, passages = similarity.compare(long_essay(500), long_essay(500))
    assert score == 1.0 and all(len(p) <= similarity.PASSAGE_MAX for p in passages)


# --- Finite, bounded numbers --------------------------------------------------------------------


@pytest.mark.parametrize("value", NON_FINITE)
def test_non_finite_judge_scores_are_refused(world, value):
    rnd = make_round(world.program, [world.manager])
    presenter = rnd.presenters.first()
    values = {str(c.pk): value for c in rnd.criteria.all()}
    with pytest.raises(DomainError):
        services.score_submit(rnd=rnd, presenter=presenter, judge_user=world.manager, values=values)
    assert not ScoreSheet.objects.exists()


def test_the_credit_requirements_page_leads_to_the_policy_rows_of_the_record(client, world):
    """The yearly requirement per rank is credits' policy data (with effective dates, audited);
    evaluation's old page sends the administrator there."""
    client.force_login(world.admin)
    response = client.post(reverse("evaluation:credit_requirements"), {"county": "NaN"})
    assert response.status_code == 405
    response = client.get(reverse("evaluation:credit_requirements"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:credits_requirement_changelist")


@pytest.mark.parametrize(
    ("weight", "lo", "hi"),
    [
        ("NaN", "0", "10"),
        ("30", "0", "Infinity"),
        ("30", "-sNaN", "10"),
        ("1000", "0", "10"),
        ("30", "-5", "10"),
        ("30", "0", "5000"),
        ("0", "0", "10"),
    ],
)
def test_scoring_criteria_refuse_non_finite_and_out_of_range_values(world, weight, lo, hi):
    with pytest.raises(DomainError):
        services.round_create(
            program=world.program,
            title="汇报",
            criteria=[{"name": "思路", "weight": weight, "min": lo, "max": hi}],
            presenters=[{"name": "甲"}],
            judge_users=[world.manager],
            by=world.manager,
        )
    assert not ScoringCriterion.objects.exists()


def test_the_round_form_shows_a_message_for_nan_weights(client, world):
    client.force_login(world.manager)
    response = client.post(
        reverse("evaluation:round_create", args=[world.program.pk]),
        {
            "title": "汇报",
            "criteria": "思路|NaN|0|10",
            "presenters": "甲",
            "judges": [world.manager.pk],
        },
    )
    assert response.status_code == 200
    assert "有限的数字" in response.content.decode()


def test_the_database_checks_criterion_bounds(world):
    rnd = make_round(world.program, [world.manager])
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringCriterion.objects.create(
            round=rnd, name="x", weight=Decimal("500"), min_score=0, max_score=10
        )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(st.text(max_size=30), st.floats(allow_nan=True, allow_infinity=True).map(str))
)
def test_any_judge_input_is_either_a_sheet_in_range_or_a_message(world, value):
    rnd = make_round(world.program, [world.manager])
    presenter = rnd.presenters.first()
    values = {str(c.pk): value for c in rnd.criteria.all()}
    try:
        with transaction.atomic():
            sheet = services.score_submit(
                rnd=rnd, presenter=presenter, judge_user=world.manager, values=values
            )
    except DomainError:
        return
    assert Decimal(0) <= sheet.total <= Decimal(100)


# --- Nobody decides their own case ----------------------------------------------------------------


def test_nobody_grades_or_returns_their_own_reflection(world):
    a = make_assignment(world.program)
    EnrollmentFactory(program=world.program, user=world.manager)
    own = make_reflection(a, world.manager)
    with pytest.raises(DomainError, match="不能处理与本人有关的事项"):
        services.reflection_review(
            reflection=own, grade="excellent", score=100, comment="", by=world.manager
        )
    with pytest.raises(DomainError, match="不能处理与本人有关的事项"):
        services.reflection_return(reflection=own, comment="再改", by=world.manager)
    own.refresh_from_db()
    assert own.status == Reflection.Status.SUBMITTED and own.grade == ""


def test_the_review_page_shows_the_refusal_as_a_form_error(client, world):
    a = make_assignment(world.program)
    EnrollmentFactory(program=world.program, user=world.manager)
    own = make_reflection(a, world.manager)
    client.force_login(world.manager)
    response = client.post(
        reverse("evaluation:reflection_review", args=[own.pk]), {"grade": "excellent"}
    )
    assert response.status_code == 200 and "不能处理与本人有关的事项" in response.content.decode()


def test_a_judge_does_not_score_themselves(world):
    rnd = make_round(world.program, [world.manager])
    presenter = rnd.presenters.first()
    presenter.user = world.manager
    presenter.save()
    values = {str(c.pk): "5" for c in rnd.criteria.all()}
    with pytest.raises(DomainError, match="不能处理与本人有关的事项"):
        services.score_submit(rnd=rnd, presenter=presenter, judge_user=world.manager, values=values)


def test_nobody_confirms_a_completion_list_that_holds_themselves(world):
    EnrollmentFactory(program=world.program, user=world.manager)
    with pytest.raises(DomainError, match="不能处理与本人有关的事项"):
        services.completion_confirm(program=world.program, by=world.manager)


# --- Public certificate check ------------------------------------------------------------------


@pytest.fixture
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("name", "masked"), [("江沐阳", "江*阳"), ("李娜", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "王")]
)
def test_names_are_masked(name, masked):
    assert selectors.masked_name(name) == masked


def test_verification_shows_masked_name_program_period_and_status(client, world, fresh_cache):
    world.trainee.full_name = "江沐阳"
    world.trainee.save()
    cert = make_certificate(world.program, world.trainee)
    cert.holder_name = "江沐阳"
    cert.save()
    body = client.get(reverse("evaluation:verify", args=[cert.serial])).content.decode()
    assert "江*阳" in body and "江沐阳" not in body
    assert cert.program_title in body and "有效" in body
    start = world.program.start_date
    assert f"{start.year}年{start.month}月{start.day}日" in body


@pytest.mark.parametrize(
    "typed",
    [
        "https://px.example.cn/evaluation/verify/{s}/",
        "http://127.0.0.1:8000/evaluation/verify/{s}/?from=qr#top",
        "/evaluation/verify/{s}",
        " {s} ",
        "{s_lower}",
    ],
)
def test_a_pasted_verification_url_or_serial_finds_the_certificate(
    client, world, typed, fresh_cache
):
    cert = make_certificate(world.program, world.trainee)
    text = typed.format(s=cert.serial, s_lower=cert.serial.lower())
    response = client.get(reverse("evaluation:verify_form"), {"serial": text}, follow=True)
    assert response.status_code == 200
    assert "证书真实有效" in response.content.decode()


@pytest.mark.parametrize(
    "typed", ["JY2026/00001/X", "a/b/c/", "///", "../../etc/passwd", "x" * 400]
)
def test_serials_with_slashes_never_give_a_500(client, world, typed, fresh_cache):
    response = client.get(reverse("evaluation:verify_form"), {"serial": typed}, follow=True)
    assert response.status_code == 404
    assert "未找到该证书" in response.content.decode()
    response = client.get("/evaluation/verify/" + typed.strip("/") + "/")
    assert response.status_code in (404, 200)


def test_verification_is_rate_limited_per_client(client, world, fresh_cache):
    from evaluation.views import VERIFY_LIMIT

    cert = make_certificate(world.program, world.trainee)
    url = reverse("evaluation:verify", args=[cert.serial])
    for _i in range(VERIFY_LIMIT):
        assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 200
    limited = client.get(url, REMOTE_ADDR="203.0.113.9")
    assert limited.status_code == 429 and "查验过于频繁" in limited.content.decode()
    assert "证书真实有效" not in limited.content.decode()
    # Another client is not affected.
    assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code == 200


# --- Course evaluation waits for the end of the session -------------------------------------------


def test_course_evaluation_is_not_offered_before_the_session_ends(client, world):
    from tests.evaluation.factories import attend

    session = world.session
    session.start = timezone.now() - dt.timedelta(minutes=30)
    session.end = timezone.now() + dt.timedelta(minutes=60)
    session.save()
    attend(session, world.trainee)
    assert session not in list(selectors.sessions_to_evaluate(user=world.trainee))
    ratings = {"content": 4, "delivery": 4, "relevance": 4, "overall": 4}
    with pytest.raises(DomainError, match="课程结束后才能评价"):
        services.evaluation_submit(session=session, user=world.trainee, ratings=ratings)
    client.force_login(world.trainee)
    response = client.get(reverse("evaluation:evaluate", args=[session.pk]))
    assert "课程结束" in response.content.decode() and "提交评价" not in response.content.decode()
    session.end = timezone.now() - dt.timedelta(minutes=1)
    session.save()
    assert session in list(selectors.sessions_to_evaluate(user=world.trainee))
