"""Course-evaluation anonymity: below MIN_ANSWERS nobody (managers included) sees ratings or
comments; the answers of a session carry no order and, on PostgreSQL, no per-answer xmin that
could be matched with the receipts."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.urls import reverse

from evaluation import selectors, services
from evaluation.models import EvaluationAnswer, EvaluationReceipt
from tests.evaluation.factories import attendees

GOOD = {"content": 4, "delivery": 4, "relevance": 3, "overall": 4}
MIN = selectors.MIN_ANSWERS


def _started(world):
    world.session.start -= dt.timedelta(days=1)
    world.session.end -= dt.timedelta(days=1)
    world.session.save()


def _answer(world, users, comment="{i}号的意见:案例很解渴"):
    for i, u in enumerate(users):
        services.evaluation_submit(
            session=world.session, user=u, ratings=GOOD, comment=comment.format(i=i)
        )


# --- The minimum applies to everyone --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "organizer", "manager", "assistant", "lecturer_user"])
def test_below_the_minimum_no_one_sees_ratings_or_comments(world, client_for, role):
    _started(world)
    _answer(world, attendees(world.session, MIN - 1))
    response = client_for(getattr(world, role)).get(
        reverse("evaluation:session_results", args=[world.session.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"答卷不足 {MIN} 份,暂不显示" in body
    assert f"共 {MIN - 1} 份评价" in body
    assert "案例很解渴" not in body and "授课水平" not in body and "满意率" not in body


@pytest.mark.django_db
def test_at_the_minimum_managers_and_lecturers_see_the_breakdown(world, client_for):
    _started(world)
    _answer(world, attendees(world.session, MIN))
    for user in (world.manager, world.lecturer_user):
        body = (
            client_for(user)
            .get(reverse("evaluation:session_results", args=[world.session.pk]))
            .content.decode()
        )
        assert "暂不显示" not in body and "授课水平" in body and "0号的意见" in body


@pytest.mark.django_db
def test_the_summary_itself_withholds_everything_but_the_count(world):
    _started(world)
    _answer(world, attendees(world.session, 2))
    summary = selectors.session_evaluation_summary(session=world.session)
    assert summary == {"n": 2, "hidden": True, "indicators": [], "comments": []}
    _s, visible = selectors.session_results_get(user=world.admin, pk=world.session.pk)
    assert not visible


@pytest.mark.django_db
def test_program_results_leave_out_satisfaction_of_sessions_below_the_minimum(world, client_for):
    _started(world)
    _answer(world, attendees(world.session, 2))
    rows = selectors.program_evaluation_rows(program=world.program)
    assert rows[0].answers == 2 and rows[0].satisfaction is None and rows[0].overall_avg is None
    body = (
        client_for(world.organizer)
        .get(reverse("evaluation:program_results", args=[world.program.pk]))
        .content.decode()
    )
    assert f"答卷不足{MIN}份,暂不显示" in body
    assert "100.0%" not in body and "4.00" not in body


@pytest.mark.django_db
def test_managers_can_still_remind_below_the_minimum(world, client_for):
    _started(world)
    _answer(world, attendees(world.session, 1))
    body = (
        client_for(world.manager)
        .get(reverse("evaluation:session_results", args=[world.session.pk]))
        .content.decode()
    )
    assert reverse("evaluation:evaluation_remind", args=[world.session.pk]) in body


# --- No order and no shared transaction id between an answer and its receipt ----------------


def _physical_order(session) -> list[str]:
    """The session's answer ids in the order the rows are stored."""
    table = EvaluationAnswer._meta.db_table
    position = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE session_id = %s ORDER BY {position}", [session.pk]
        )
        return [str(r[0]).replace("-", "") for r in cursor.fetchall()]


@pytest.mark.django_db
def test_answers_are_stored_in_the_order_of_their_random_ids_not_of_answering(world):
    _started(world)
    users = attendees(world.session, 6)
    answered = []
    for i, u in enumerate(users):
        services.evaluation_submit(session=world.session, user=u, ratings=GOOD, comment=f"第{i}")
        ids = [a.hex for a in EvaluationAnswer.objects.values_list("id", flat=True)]
        answered.append(
            EvaluationAnswer.objects.get(session=world.session, comment=f"第{i}").id.hex
        )
        if connection.vendor != "postgresql":
            assert _physical_order(world.session) == sorted(ids)
    # On PostgreSQL a rewrite's rows may take the slots its delete freed once the page is pruned,
    # so the stored order is checked for what matters: it is not the order of answering.
    assert _physical_order(world.session) != answered
    assert EvaluationAnswer.objects.count() == 6 and EvaluationReceipt.objects.count() == 6
    assert sorted(EvaluationAnswer.objects.values_list("comment", flat=True)) == sorted(
        f"第{i}" for i in range(6)
    )


def _xmins(model, session) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text FROM {model._meta.db_table} WHERE session_id = %s", [session.pk]
        )
        return [r[0] for r in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_answers_share_one_xmin_so_no_receipt_matches_one_answer(world):
    _started(world)
    users = attendees(world.session, 5)
    for u in users:  # each submission commits on its own
        services.evaluation_submit(session=world.session, user=u, ratings=GOOD)
    answer_xmins = [int(x) for x in _xmins(EvaluationAnswer, world.session)]
    receipt_xmins = [int(x) for x in _xmins(EvaluationReceipt, world.session)]
    assert len(answer_xmins) == 5 and len(set(answer_xmins)) == 1
    assert len(set(receipt_xmins)) == 5  # one transaction per submission
    # A receipt is written in a savepoint, so its xmin is its transaction's or a neighbour of
    # it. Matching by xmin (or a neighbouring one) pairs a receipt with all five answers or
    # with none: never one receipt with one answer.
    for receipt_xmin in receipt_xmins:
        near = [a for a in answer_xmins if abs(a - receipt_xmin) <= 2]
        assert len(near) in (0, 5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_lose_no_answer(world):
    _started(world)
    n = 12
    users = attendees(world.session, n)
    barrier = threading.Barrier(n, timeout=30)

    def submit(u):
        try:
            barrier.wait()
            services.evaluation_submit(
                session=world.session, user=u, ratings=GOOD, comment=str(u.pk)
            )
            return "ok"
        except Exception as exc:
            return f"error: {exc!r}"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        outcomes = list(pool.map(submit, users))
    assert outcomes == ["ok"] * n
    assert EvaluationAnswer.objects.filter(session=world.session).count() == n
    assert sorted(EvaluationAnswer.objects.values_list("comment", flat=True)) == sorted(
        str(u.pk) for u in users
    )
    assert EvaluationReceipt.objects.filter(session=world.session).count() == n
