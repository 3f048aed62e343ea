import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_program_page_links_every_app_for_its_managers(world, client_for):
    page = client_for(world.manager).get(reverse("programs:detail", args=[world.program.pk]))
    html = page.content.decode()
    for name in (
        "enrollment:roster",
        "attendance:program",
        "attendance:leave_list",
        "evaluation:program",
        "reports:program_exports",
    ):
        assert reverse(name, args=[world.program.pk]) in html, name
    trainee_html = (
        client_for(world.trainee)
        .get(reverse("programs:detail", args=[world.program.pk]))
        .content.decode()
    )
    assert reverse("enrollment:roster", args=[world.program.pk]) not in trainee_html


def test_programs_and_enrollment_menus_ask_once_whether_a_class_manager_runs_programs(world, rf):
    """The programs home panel and the enrollment menu and panel share one cached answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enrollment import nav as enrollment_nav
    from programs import nav as programs_nav
    from programs.models import ProgramStaff

    request = rf.get("/")
    request.user = world.manager
    with CaptureQueriesContext(connection) as ctx:
        panels = programs_nav.home_panels(request) + enrollment_nav.home_panels(request)
        items = enrollment_nav.nav_items(request)
    assert "programs/panels/my_programs.html" in [p.template for p in panels]
    assert "reviews" in [i.key for i in items]
    exists = f'SELECT 1 AS "a" FROM "{ProgramStaff._meta.db_table}"'
    assert sum(q["sql"].startswith(exists) for q in ctx.captured_queries) == 1
