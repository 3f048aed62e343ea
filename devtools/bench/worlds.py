"""Two test worlds on the seeded year, for the page benchmarks (devtools.bench.pages, records).

They have the shape of the test suite's `world` fixture (tests.conftest.World: the same
attributes, so the permission tables' URL arguments apply unchanged), built on real objects of
the seeded year: "large" is the program with the most trainees, its busiest session and the
busiest trainee; "small" the program with the fewest trainees, its first session and a trainee of
it with one enrollment. The people of each role are bench users created once (get_or_create)
and attached the way the fixture attaches its own: organizer of the program's city, outsider
organizer of another city, class manager and assistant, a branch venue and its manager, a
lecturer, the liaison of the trainee's unit, and a superuser for the Django admin.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import OrgUnit, Role, RoleGrant, User
from attendance.models import AttendanceRecord
from enrollment.models import Enrollment
from programs.models import Lecturer, Program, ProgramStaff, Session, Venue
from tests.conftest import World


@dataclass
class BenchWorld(World):
    superuser: object = None
    sizes: dict = field(default_factory=dict)

    def object_of(self, model) -> int:
        """The pk the admin's change/history/delete pages open for `model` in this world: the
        world's own object, else the latest row tied to its session, program or trainee."""
        direct = {
            Program: self.program,
            Session: self.session,
            User: self.trainee,
            OrgUnit: self.county_a,
            Venue: self.branch_venue,
            Lecturer: self.lecturer,
        }
        if model in direct:
            return direct[model].pk
        fks = {
            f.related_model: f.name
            for f in model._meta.concrete_fields
            if f.many_to_one and f.related_model in (Session, Program, User)
        }
        rows = model._default_manager.order_by("-pk")
        for target, obj in ((Session, self.session), (Program, self.program), (User, self.trainee)):
            if target in fks:
                pk = rows.filter(**{fks[target]: obj}).values_list("pk", flat=True).first()
                if pk is not None:
                    return pk
        pk = rows.values_list("pk", flat=True).first()
        if pk is None:
            raise LookupError(f"no {model._meta.label} row")
        return pk


def bench_worlds(scale_name: str) -> dict[str, BenchWorld]:
    tag = scale_name.upper()
    mine = Q(code__startswith=f"BENCH-{tag}-") | Q(
        code__startswith="BENCH-PDF-", code__endswith=f"-{tag}"
    )
    counts = dict(
        Enrollment.objects.filter(program__in=Program.objects.filter(mine), status="enrolled")
        .values("program")
        .annotate(n=Count("pk"))
        .values_list("program", "n")
    )
    largest = max(counts, key=lambda pk: (counts[pk], -pk))
    seeded = set(
        Program.objects.filter(code__startswith=f"BENCH-{tag}-").values_list("pk", flat=True)
    )
    smallest = min((pk for pk in counts if pk in seeded), key=lambda pk: (counts[pk], pk))
    cadres = User.objects.filter(username__startswith=f"bench-{scale_name}-")
    busiest_cadre = (
        Enrollment.objects.filter(user__in=cadres)
        .values("user")
        .annotate(n=Count("pk"))
        .order_by("-n", "user")
        .values_list("user", flat=True)
        .first()
    )
    superuser, _ = User.objects.get_or_create(
        username="bench-pages-superuser",
        defaults={"full_name": "基准超级用户", "is_staff": True, "is_superuser": True},
    )
    admin = User.objects.get(username=f"bench-{scale_name}-admin")
    return {
        "large": _world("large", tag, largest, busiest_cadre, admin, superuser, busiest=True),
        "small": _world("small", tag, smallest, None, admin, superuser, busiest=False),
    }


def _city_of(unit: OrgUnit) -> OrgUnit:
    while unit.kind not in ("city", "province") and unit.parent_id is not None:
        unit = unit.parent
    return unit


def _person(size: str, role: str, unit, name: str) -> User:
    user, _ = User.objects.get_or_create(
        username=f"bench-pages-{size}-{role}", defaults={"full_name": name, "unit": unit}
    )
    return user


def _world(size, tag, program_pk, trainee_pk, admin, superuser, *, busiest) -> BenchWorld:
    # Open for changes as an admin's reopening does (the seeded year's programs are completed
    # and read-only), so the pages that prepare something to show find the program editable.
    Program.objects.filter(pk=program_pk).update(
        reopened_until=timezone.now() + dt.timedelta(days=1), reopen_reason="基准测试"
    )
    program = Program.objects.select_related("organizing_unit").get(pk=program_pk)
    if busiest:
        session_pk = (
            AttendanceRecord.objects.filter(session__program=program)
            .values("session")
            .annotate(n=Count("pk"))
            .order_by("-n", "session")
            .values_list("session", flat=True)
            .first()
        )
        session = Session.objects.get(pk=session_pk)
    else:
        session = program.sessions.order_by("start").first()
    members = Enrollment.objects.filter(program=program, status="enrolled")
    if trainee_pk is None:  # a trainee of the program with the fewest enrollments
        trainee_pk = (
            Enrollment.objects.filter(user__in=members.values("user"))
            .values("user")
            .annotate(n=Count("pk"))
            .order_by("n", "user")
            .values_list("user", flat=True)
            .first()
        )
    trainee = User.objects.select_related("unit").get(pk=trainee_pk)
    if not members.filter(user=trainee).exists():
        Enrollment.objects.get_or_create(
            program=program,
            user=trainee,
            defaults={"unit": trainee.unit, "status": "enrolled", "source": "nomination"},
        )
    for s in program.sessions.all():
        AttendanceRecord.objects.get_or_create(
            session=s,
            user=trainee,
            defaults={"status": "present", "source": "qr", "checkin_at": s.start},
        )
    province = OrgUnit.objects.get(code=f"BENCH-{tag}")
    city_a = _city_of(program.organizing_unit)
    city_b = (
        OrgUnit.objects.filter(parent=province, kind="city", code__startswith=f"BENCH-{tag}-C")
        .exclude(pk=city_a.pk)
        .order_by("code")
        .first()
    )
    county_a = trainee.unit
    org = program.organizing_unit
    people = {
        "organizer": _person(size, "organizer", org, "基准组织者"),
        "outsider": _person(size, "outsider", city_b, "外市组织者"),
        "liaison": _person(size, "liaison", county_a, "基准联络员"),
        "manager": _person(size, "manager", org, "基准班主任"),
        "assistant": _person(size, "assistant", org, "基准跟班员"),
        "venue_manager": _person(size, "venue", county_a, "分课堂管理员"),
        "lecturer": _person(size, "lecturer", org, "基准授课人"),
    }
    for role, user, unit in (
        (Role.ORGANIZER, people["organizer"], city_a),
        # the trainee's city too: in the test world the trainee's unit lies in the organizer's
        # city, and the busiest cadre of the year may come from another one
        (Role.ORGANIZER, people["organizer"], _city_of(county_a)),
        (Role.ORGANIZER, people["outsider"], city_b),
        (Role.LIAISON, people["liaison"], county_a),
    ):
        RoleGrant.objects.get_or_create(user=user, role=role, unit=unit)
    ProgramStaff.objects.get_or_create(
        program=program, user=people["manager"], role=ProgramStaff.Role.CLASS_MANAGER
    )
    ProgramStaff.objects.get_or_create(
        program=program, user=people["assistant"], role=ProgramStaff.Role.CLASS_ASSISTANT
    )
    if session.venue_id is None:
        session.venue, _ = Venue.objects.get_or_create(
            name=f"基准主会场({size})", unit=city_a, defaults={"capacity": 2500}
        )
        session.save(update_fields=["venue"])
    branch, _ = Venue.objects.get_or_create(
        name=f"基准分课堂({size})", unit=county_a, defaults={"capacity": 500}
    )
    branch.managers.add(people["venue_manager"])
    session.branch_venues.add(branch)
    lecturer, _ = Lecturer.objects.get_or_create(
        user=people["lecturer"], defaults={"name": "基准授课人"}
    )
    session.lecturers.add(lecturer)
    other = (
        User.objects.filter(username__startswith=f"bench-{tag.lower()}-", is_active=True)
        .exclude(enrollments__program=program)
        .exclude(username__endswith="-admin")
        .order_by("pk")
        .first()
    )
    world = BenchWorld(
        province=province,
        city_a=city_a,
        city_b=city_b,
        county_a=county_a,
        admin=admin,
        organizer=people["organizer"],
        outsider=people["outsider"],
        liaison=people["liaison"],
        manager=people["manager"],
        assistant=people["assistant"],
        venue_manager=people["venue_manager"],
        lecturer_user=people["lecturer"],
        trainee=trainee,
        other_trainee=other,
        program=program,
        session=session,
        venue=session.venue,
        branch_venue=branch,
        lecturer=lecturer,
        superuser=superuser,
    )
    world.sizes = {
        "program": program.code,
        "trainees": members.count(),
        "sessions": program.sessions.count(),
        "session_records": AttendanceRecord.objects.filter(session=session).count(),
        "trainee_enrollments": Enrollment.objects.filter(user=trainee).count(),
        "trainee_credit_entries": trainee.credit_entries.count(),
    }
    return world
