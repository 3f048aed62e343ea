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


TAB_NAMES = {
    "enrollment:roster",
    "enrollment:quotas",
    "enrollment:groups",
    "attendance:program",
    "attendance:leave_list",
    "evaluation:program",
    "evaluation:completion",
    "reports:program_exports",
}


@pytest.mark.parametrize(
    ("role", "sees_tabs"),
    [
        ("admin", True),
        ("organizer", True),
        ("manager", True),
        ("assistant", True),
        ("venue_manager", False),
        ("lecturer", False),
        ("trainee", False),
    ],
)
def test_program_tabs_come_from_each_app_for_those_who_may_open_them(
    world, client_for, role, sees_tabs
):
    """Issue 14 item 4: each app's nav.program_tabs offers its tabs, and only to users its pages
    let in; the program page names no other app's URL and shows what the apps offer."""
    from core.registry import app_hooks
    from programs.tabs import program_tabs

    assert {m.__module__.split(".")[0] for m in app_hooks("nav", "program_tabs")} == {
        "enrollment",
        "attendance",
        "evaluation",
        "reports",
    }
    user = world.by_role()[role]
    html = client_for(user).get(reverse("programs:detail", args=[world.program.pk])).content
    urls = {name: reverse(name, args=[world.program.pk]) for name in sorted(TAB_NAMES)}
    for name, url in urls.items():
        assert (url.encode() in html) == sees_tabs, (role, name)
        # every tab offered opens for this user (no tab leads to a 403/404)
        if sees_tabs:
            assert client_for(user).get(url).status_code == 200, (role, name)

    class Req:
        pass

    request = Req()
    request.user = user
    tabs = program_tabs(request, world.program)
    assert {t.key for t in tabs} == (TAB_NAMES if sees_tabs else set())
    assert [t.order for t in tabs] == sorted(t.order for t in tabs)


def test_programs_imports_no_app_above_it():
    """Imports run one way: programs' modules name no enrollment/attendance/evaluation/reports
    import (the demo aside)."""
    import ast
    from pathlib import Path

    import programs

    higher = ("enrollment", "attendance", "evaluation", "reports")
    offenders = []
    for path in Path(programs.__file__).parent.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        if path.name in ("demo.py",):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] in higher:
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert offenders == []
