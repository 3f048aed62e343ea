"""The README's "What the demo holds" and its demo logins tell the same story as `seed_demo`:
each claim is read from the README text and checked against the seeded data, so changing one
without the other fails here."""

import re
from pathlib import Path

import pytest

from accounts.models import User
from attendance.demo import LIVE_TOPIC
from enrollment.models import DiscussionGroup, Enrollment
from evaluation.models import Certificate
from plans.models import PlanItem, TrainingPlan
from programs.models import Program, Session

RAW = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
README = re.sub(r"\s+", " ", RAW)  # claims may wrap across lines

pytestmark = pytest.mark.django_db


def _claim(pattern: str) -> re.Match:
    match = re.search(pattern, README)
    assert match, f"the README no longer says {pattern!r}"
    return match


def _enrolled(code: str) -> int:
    return Enrollment.objects.filter(program__code=code, status=Enrollment.Status.ENROLLED).count()


def test_every_demo_login_in_the_readme_exists_with_its_name(demo_seeded):
    rows = re.findall(r"^\| `(\w+)` \| ([\u4e00-\u9fff]{2,4}),", RAW, flags=re.M)
    assert len(rows) >= 9
    for username, name in rows:
        user = User.objects.filter(username=username).first()
        assert user is not None, username
        assert user.full_name == name.strip(), username


def test_the_eight_day_class_holds_what_the_readme_says(demo_seeded):
    m = _claim(r"(\d+) trainees in (\d+) discussion groups")
    trainees, groups = int(m[1]), int(m[2])
    assert _enrolled("YJC-2026-XZ") == trainees
    assert DiscussionGroup.objects.filter(program__code="YJC-2026-XZ").count() == groups
    lectures = int(_claim(r"opening, (\d+) lectures")[1])
    _claim(r"a session whose check-in is open right now")
    timetable = Session.objects.filter(program__code="YJC-2026-XZ").exclude(topic=LIVE_TOPIC)
    assert timetable.filter(kind=Session.Kind.LECTURE).count() == lectures
    assert Session.objects.filter(program__code="YJC-2026-XZ", topic=LIVE_TOPIC).exists()


def test_the_lecture_series_has_its_weeks_and_one_cancelled_lecture(demo_seeded):
    weeks = int(_claim(r"every Thursday 14:30–17:30 for (\w+) weeks")[1].replace("ten", "10"))
    sessions = Session.objects.filter(program__code="YJC-2026-JT")
    _claim(r"a holiday skipped")
    assert sessions.count() == weeks - 1  # ten Thursdays, one of them a holiday
    _claim(r"one lecture cancelled")
    assert sessions.filter(status=Session.Status.CANCELLED).count() == 1
    assert _enrolled("YJC-2026-JT") == int(
        _claim(r"branch venue \(分课堂\) in each district, (\d+) trainees")[1]
    )


def test_the_directors_forum_cohorts_are_where_the_readme_puts_them(demo_seeded):
    _claim(r"第1期 is archived")
    assert Program.objects.get(code="YJC-JZJT-1").status == Program.Status.ARCHIVED
    _claim(r"第2期 is completed with completions and certificates")
    second = Program.objects.get(code="YJC-JZJT-2")
    assert second.status == Program.Status.COMPLETED
    certificates = Certificate.objects.filter(completion__program=second)
    assert certificates.filter(revoked_at__isnull=True).exists()
    _claim(r"one of them revoked")
    assert certificates.filter(revoked_at__isnull=False).count() == 1
    _claim(r"the third is open for applications with a waitlist")
    third = Program.objects.get(code="YJC-JZJT-3")
    assert Enrollment.objects.filter(program=third, status=Enrollment.Status.WAITLISTED).exists()


def test_the_plans_are_as_the_readme_tells(demo_seeded):
    _claim(r"annual plan is recorded \(备案\)")
    city = TrainingPlan.objects.get(unit__code="YJC", kind=TrainingPlan.Kind.ANNUAL)
    assert city.items.filter(
        status=PlanItem.Status.APPROVED, title__contains="乡镇党政正职"
    ).exists()
    _claim(r"a supplementary class waits for the organization department")
    assert PlanItem.objects.filter(
        plan__kind=TrainingPlan.Kind.SUPPLEMENTARY, status=PlanItem.Status.PENDING
    ).exists()
    _claim(r"青湖区's next-year plan is a draft")
    assert TrainingPlan.objects.filter(
        unit__code="YJC-QH", status=TrainingPlan.Status.DRAFT
    ).exists()
