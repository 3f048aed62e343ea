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


def test_an_apps_own_program_tabs_replace_its_stand_ins(world, rf, monkeypatch):
    """Issue 14: the program page's tabs come from the apps (nav.program_tabs), not programs."""
    from core.registry import NavItem
    from enrollment import nav as enrollment_nav
    from programs.tabs import program_tabs

    request = rf.get("/")
    request.user = world.manager
    before = [t.key for t in program_tabs(request, world.program)]
    assert "enrollment:roster" in before
    monkeypatch.setattr(
        enrollment_nav,
        "program_tabs",
        lambda request, program: [NavItem("名册(新)", f"/x/{program.pk}/", "roster", order=5)],
        raising=False,
    )
    after = program_tabs(request, world.program)
    assert after[0].label == "名册(新)"
    assert not {"enrollment:roster", "enrollment:quotas"} & {t.key for t in after}
    assert "attendance:program" in {t.key for t in after}


def test_programs_imports_no_app_above_it():
    """Imports run one way: programs' modules name no enrollment/attendance/evaluation/reports
    import (the demo aside)."""
    import ast
    from pathlib import Path

    import programs

    higher = ("enrollment", "attendance", "evaluation", "reports")
    offenders = []
    for path in Path(programs.__file__).parent.glob("*.py"):
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
