"""Lists that grow with the class are paginated (50 a page), keep their filters in the page
links, and cost the same number of queries at any class size."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluation import selectors
from evaluation.models import Reflection, SimilarityFlag
from tests.evaluation.factories import attend, make_assignment, make_commitment, make_reflection
from tests.factories import EnrollmentFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

SIZE = selectors.REVIEW_PAGE_SIZE


def _class(world, n, tag):
    users = []
    for i in range(n):
        u = UserFactory(full_name=f"{tag}{i:03d}")
        EnrollmentFactory(program=world.program, user=u)
        users.append(u)
    return users


def test_review_list_pages_through_the_class_and_counts_everyone(world, client_for):
    a = make_assignment(world.program)
    users = _class(world, SIZE + 10, "学员")
    for u in users[:30]:
        make_reflection(a, u)
    for u in users[30:35]:
        make_reflection(a, u, status=Reflection.Status.REVIEWED, grade="good")
    client = client_for(world.manager)
    url = reverse("evaluation:assignment_detail", args=[a.pk])
    first = client.get(url)
    assert len(first.context["rows"]) == SIZE
    assert first.context["counts"] == {
        "total": SIZE + 11,  # the world's own trainee too
        "missing": SIZE + 11 - 35,
        "submitted": 30,
        "returned": 0,
        "reviewed": 5,
    }
    body = first.content.decode()
    assert "?page=2" in body and "第 1 / 2 页,共 61 条" in body
    second = client.get(url, {"page": 2})
    assert len(second.context["rows"]) == 11
    names = [r.user.full_name for r in first.context["rows"] + second.context["rows"]]
    assert names == sorted(names) and len(set(names)) == SIZE + 11


def test_review_filters_apply_before_paging_and_stay_in_the_links(world, client_for):
    a = make_assignment(world.program)
    users = _class(world, SIZE + 5, "学员")
    for u in users:
        make_reflection(a, u)
    reviewed = users[0]
    Reflection.objects.filter(author=reviewed).update(status=Reflection.Status.REVIEWED)
    client = client_for(world.manager)
    url = reverse("evaluation:assignment_detail", args=[a.pk])
    todo = client.get(url, {"show": "todo"})
    assert todo.context["page"].paginator.count == SIZE + 4
    assert "?show=todo&amp;page=2" in todo.content.decode()
    page2 = client.get(url, {"show": "todo", "page": 2})
    assert all(r.reflection.status == "submitted" for r in page2.context["rows"])
    assert reviewed not in [r.user for r in page2.context["rows"] + todo.context["rows"]]
    r1, r2 = (Reflection.objects.get(author=u) for u in users[3:5])
    SimilarityFlag.objects.create(assignment=a, first=r1, second=r2, score=0.9)
    flagged = client.get(url, {"show": "flagged"})
    assert [r.user for r in flagged.context["rows"]] == [users[3], users[4]]
    assert [r.flags for r in flagged.context["rows"]] == [1, 1]


def test_completion_and_followup_lists_page_but_count_everyone(world, client_for):
    users = _class(world, SIZE + 3, "学员")
    for u in users:
        make_commitment(world.program, u, due_date=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(world.manager)
    completion = client.get(reverse("evaluation:completion", args=[world.program.pk]))
    assert len(completion.context["rows"]) == SIZE and completion.context["total"] == SIZE + 4
    assert "?page=2" in completion.content.decode()
    followup = client.get(reverse("evaluation:followup_program", args=[world.program.pk]))
    assert len(followup.context["rows"]) == SIZE and followup.context["behind"] == SIZE + 3
    assert f"共 {SIZE + 3} 项承诺" in followup.content.decode()


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("review", {}),
        ("review", {"show": "todo", "page": "2"}),
        ("review", {"show": "flagged"}),
        ("completion", {"page": "2"}),
        ("followup", {}),
    ],
)
def test_paged_lists_cost_the_same_queries_at_two_class_sizes(world, client_for, page, params):
    counts = []
    client = client_for(world.manager)
    for size in (8, SIZE + 30):
        a = make_assignment(world.program)
        s = SessionFactory(
            program=world.program,
            start=timezone.now() - dt.timedelta(days=2),
            end=timezone.now() - dt.timedelta(days=2) + dt.timedelta(hours=2),
        )
        users = _class(world, size, f"学员{size}-")
        refs = []
        for u in users:
            refs.append(make_reflection(a, u))
            attend(s, u)
            make_commitment(world.program, u)
        for r1, r2 in zip(refs[::2], refs[1::2], strict=False):
            SimilarityFlag.objects.create(assignment=a, first=r1, second=r2, score=0.9)
        url = {
            "review": reverse("evaluation:assignment_detail", args=[a.pk]),
            "completion": reverse("evaluation:completion", args=[world.program.pk]),
            "followup": reverse("evaluation:followup_program", args=[world.program.pk]),
        }[page]
        counts.append(_count(client, url, params))
    assert counts[0] == counts[1], counts


def test_the_review_queue_lists_what_the_home_panel_counts_at_a_fixed_query_cost(world, client_for):
    from django.test import RequestFactory

    from evaluation import nav

    a = make_assignment(world.program)
    client = client_for(world.manager)
    url = reverse("evaluation:review_queue")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    for u in _class(world, 3, "甲"):
        make_reflection(a, u)
    small, _body = queries()
    users = _class(world, SIZE + 5, "乙")
    for u in users:
        make_reflection(a, u)
    make_reflection(a, users[0].__class__.objects.create(username="drafty"), status="draft")
    big, body = queries()
    assert small == big

    request = RequestFactory().get("/")
    request.user = world.manager
    [panel] = [p for p in nav.home_panels(request) if p.template.endswith("staff.html")]
    assert panel.context["to_review"] == SIZE + 8
    assert f"共 {SIZE + 8} 篇" in body and "第 1 / 2 页" in body
    oldest = Reflection.objects.filter(status="submitted").order_by("submitted_at", "id").first()
    assert reverse("evaluation:reflection_review", args=[oldest.pk]) in body
