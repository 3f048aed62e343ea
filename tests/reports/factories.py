"""Build a program with many trainees and sessions quickly (bulk inserts)."""

import datetime as dt
import random

from django.utils import timezone

from accounts.models import OrgUnit, Rank, User
from attendance.models import AttendanceRecord, AttendanceStatus
from enrollment.models import Enrollment
from programs.models import Program, Session
from tests.factories import OrgUnitFactory, ProgramFactory, VenueFactory

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "建国志强海燕晓明丽华文军宏伟春梅秀英立新振华德明光辉永红玉兰卫东俊峰雪松思远晨曦嘉怡"
STATUSES = [AttendanceStatus.PRESENT] * 14 + [
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.ON_LEAVE,
    AttendanceStatus.ABSENT,
]


def person_name(rng, i):
    return rng.choice(SURNAMES) + GIVEN[(i * 2) % len(GIVEN)] + GIVEN[(i * 7 + 1) % len(GIVEN)]


def build_program(
    *,
    trainees=20,
    sessions=4,
    units=3,
    parent=None,
    program=None,
    seed=1,
    held=True,
    status=Program.Status.RUNNING,
    prefix="t",
):
    rng = random.Random(seed)
    parent = parent or OrgUnitFactory(name="云江市", kind=OrgUnit.Kind.CITY)
    unit_list = [
        OrgUnitFactory(name=f"青湖区第{i + 1}镇", kind=OrgUnit.Kind.TOWNSHIP, parent=parent)
        for i in range(units)
    ]
    if program is None:
        program = ProgramFactory(
            organizing_unit=parent,
            status=status,
            start_date=timezone.localdate() - dt.timedelta(days=sessions + 1),
            end_date=timezone.localdate() + dt.timedelta(days=2),
        )
    venue = VenueFactory(name="市委党校报告厅", unit=parent)
    base = (
        timezone.now() - dt.timedelta(days=sessions)
        if held
        else timezone.now() + dt.timedelta(days=1)
    )
    session_rows = Session.objects.bulk_create(
        [
            Session(
                program=program,
                topic=f"专题讲座{i + 1}",
                start=base + dt.timedelta(days=i),
                end=base + dt.timedelta(days=i, hours=3),
                venue=venue,
            )
            for i in range(sessions)
        ]
    )
    ranks = [Rank.SECTION, Rank.STAFF, Rank.COUNTY]
    users = User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{seed}-{i}",
                full_name=person_name(rng, i),
                unit=unit_list[i % units],
                rank=ranks[i % 3],
                position="镇长",
            )
            for i in range(trainees)
        ]
    )
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                program=program,
                user=u,
                unit=u.unit,
                status=Enrollment.Status.ENROLLED,
                source=Enrollment.Source.MANUAL,
            )
            for u in users
        ]
    )
    records = []
    if held:
        for s in session_rows:
            for u in users:
                st = rng.choice(STATUSES)
                records.append(
                    AttendanceRecord(
                        session=s,
                        user=u,
                        status=st,
                        source=AttendanceRecord.Source.QR,
                        checkin_at=s.start
                        if st != AttendanceStatus.ABSENT and st != AttendanceStatus.ON_LEAVE
                        else None,
                        checkout_at=s.end if st == AttendanceStatus.PRESENT else None,
                    )
                )
        AttendanceRecord.objects.bulk_create(records, batch_size=2000)
    return program, session_rows, users, unit_list
