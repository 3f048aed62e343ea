"""The review queue pages each section; decisions return to the page they were made on."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment.models import Enrollment, Quota, WithdrawalRequest
from enrollment.views.review import REVIEW_PER_PAGE
from programs.models import Program
from tests.enrollment.factories import PolicyFactory
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db
S = Enrollment.Status


def _queue(world, n):
    """n nominations, n applications, n waitlisted and n withdrawal requests."""
    program = world.program
    quota = Quota.objects.get_or_create(
        program=program, unit=world.county_a, defaults={"seats": 5000}
    )[0]
    top = Enrollment.objects.filter(program=program, status=S.WAITLISTED).count()
    for i in range(n):
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=world.county_a, full_name=f"提名{i:03d}"),
            status=S.NOMINATED,
            source=Enrollment.Source.NOMINATION,
            quota=quota,
        )
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=world.county_a, full_name=f"报名{i:03d}"),
            status=S.APPLIED,
            source=Enrollment.Source.APPLICATION,
        )
        EnrollmentFactory(
            program=program,
            user=UserFactory(unit=world.county_a, full_name=f"候补{i:03d}"),
            status=S.WAITLISTED,
            waitlist_position=top + i + 1,
            source=Enrollment.Source.APPLICATION,
        )
        seated = EnrollmentFactory(
            program=program, user=UserFactory(unit=world.county_a, full_name=f"退训{i:03d}")
        )
        WithdrawalRequest.objects.create(
            enrollment=seated, reason="工作调动", requested_by=seated.user
        )


@pytest.fixture
def setup(world):
    Program.objects.filter(pk=world.program.pk).update(capacity=5000)
    PolicyFactory(program=world.program, applications_open=True)
    return reverse("enrollment:review", args=[world.program.pk])


def test_each_section_shows_one_page_and_says_how_many_there_are(world, client_for, setup):
    _queue(world, REVIEW_PER_PAGE + 5)
    body = client_for(world.organizer).get(setup).content.decode()
    assert "提名000" in body and f"提名{REVIEW_PER_PAGE - 1:03d}" in body
    assert f"提名{REVIEW_PER_PAGE:03d}" not in body
    assert "候补019" in body and "候补020" not in body  # the waitlist in its order
    assert body.count(f"第 1 / 2 页,共 {REVIEW_PER_PAGE + 5} 条") == 4
    assert "?np=2" in body and "?ap=2" in body and "?wp=2" in body and "?dp=2" in body


def test_a_page_link_keeps_the_other_sections_pages(world, client_for, setup):
    _queue(world, REVIEW_PER_PAGE + 5)
    body = client_for(world.organizer).get(setup + "?ap=2").content.decode()
    assert f"报名{REVIEW_PER_PAGE:03d}" in body and "报名000" not in body
    assert "提名000" in body  # nominations stay on their first page
    assert "?ap=2&amp;np=2" in body  # going on in nominations keeps applications on page 2
    assert "?ap=1" in body  # and the way back


def test_a_page_past_the_end_shows_the_last_page(world, client_for, setup):
    _queue(world, REVIEW_PER_PAGE + 5)
    body = client_for(world.organizer).get(setup + "?np=99&wp=x").content.decode()
    assert f"提名{REVIEW_PER_PAGE + 4:03d}" in body and "候补000" in body


def test_a_decision_returns_to_the_page_it_was_made_on(world, client_for, setup):
    _queue(world, REVIEW_PER_PAGE + 5)
    c = client_for(world.organizer)
    e = Enrollment.objects.get(user__full_name=f"报名{REVIEW_PER_PAGE + 1:03d}")
    page = c.get(setup + "?ap=2").content.decode()
    assert 'name="next" value="' + setup + '?ap=2"' in page
    r = c.post(reverse("enrollment:application_approve", args=[e.pk]), {"next": setup + "?ap=2"})
    assert r.status_code == 302 and r["Location"] == setup + "?ap=2"
    e.refresh_from_db()
    assert e.status == S.ENROLLED


def test_review_queue_query_count_is_the_same_at_two_sizes(world, client_for, setup):
    c = client_for(world.organizer)
    counts = []
    for n in (REVIEW_PER_PAGE // 2, REVIEW_PER_PAGE * 4):
        _queue(world, n)
        c.get(setup)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(setup + "?np=2&dp=2").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
