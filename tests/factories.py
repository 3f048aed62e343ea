"""Factories for the spine models. Apps add their own in tests/<app>/factories.py."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import OrgUnit, Rank, Role, RoleGrant, User
from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import Enrollment
from programs.models import Lecturer, Program, ProgramStaff, Session, Venue

TEST_PASSWORD = "test-pass-123"


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    code = factory.Sequence(lambda n: f"U{n:05d}")
    kind = OrgUnit.Kind.DEPARTMENT
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试学员{n}")
    unit = factory.SubFactory(OrgUnitFactory)
    rank = Rank.SECTION
    position = "科长"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    password = factory.django.Password(TEST_PASSWORD)


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = Role.ORGANIZER
    unit = factory.SubFactory(OrgUnitFactory)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    code = factory.Sequence(lambda n: f"P{n:05d}")
    title = factory.Sequence(lambda n: f"专题培训班{n}")
    level = Program.Level.CITY
    kind = Program.Kind.TRAINING_CLASS
    organizing_unit = factory.SubFactory(OrgUnitFactory)
    start_date = factory.LazyFunction(lambda: timezone.localdate())
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=7))
    capacity = 60
    status = Program.Status.PUBLISHED
    credit_hours = Decimal("24")


class ProgramStaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramStaff

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    role = ProgramStaff.Role.CLASS_MANAGER


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"第{n}教室")
    capacity = 120
    unit = factory.SubFactory(OrgUnitFactory)


class LecturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lecturer

    name = factory.Sequence(lambda n: f"授课人{n}")
    title = "教授"
    affiliation = "省委党校"


def _session_start(o):
    day = o.program.start_date
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    program = factory.SubFactory(ProgramFactory)
    topic = factory.Sequence(lambda n: f"专题讲座{n}")
    start = factory.LazyAttribute(_session_start)
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=3))
    venue = factory.SubFactory(VenueFactory)
    credit_hours = Decimal("3.0")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)
    unit = factory.LazyAttribute(lambda o: o.user.unit)
    status = Enrollment.Status.ENROLLED
    source = Enrollment.Source.MANUAL


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceRecord

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)
    venue = factory.LazyAttribute(lambda o: o.session.venue)
    status = AttendanceStatus.PRESENT
    checkin_at = factory.LazyAttribute(lambda o: o.session.start)
    source = AttendanceRecord.Source.QR
