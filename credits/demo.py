"""Demo training records: 云江省's own conversions (a 脱产 day counts 6 学时, teaching × 3,
study-group sessions capped at 30 a year) as the example locality, and records of 青湖区 cadres
from every source — approved, waiting for the unit, waiting for the organization department and
one returned with its reason — so the record, the review queue and the compliance page have
something to show."""

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Rank, User
from credits.models import CadreProfile, Conversion, CreditEntry
from credits.services import rollup_rebuild

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
S = CreditEntry.Status


def _entry(user, title, start, *, by, days=1, **fields):
    entry = CreditEntry.objects.filter(user=user, title=title, start_date=start).first()
    if entry is not None:
        return entry
    return CreditEntry.objects.create(
        user=user,
        title=title,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        filed_by=by,
        **fields,
    )


def seed(ctx):
    _seed(ctx)
    # The compliance list reads the rollup: build it as the nightly job would.
    n = rollup_rebuild()
    ctx.say(f"credits: compliance rollup of {n} cadre-years")


def _seed(ctx):
    province = ctx.units.get("YJ")
    county = ctx.units.get("YJC-QH")
    admin, liaison, trainee = (ctx.users.get(k) for k in ("admin", "liaison", "trainee"))
    if province is None or admin is None:
        ctx.say("credits: units or users missing, skipped")
        return
    since = dt.date(2025, 1, 1)
    for kind, key, value in (
        ("full_day", "", "6"),
        ("teaching_factor", "", "3"),
        ("category_cap", "study_group", "30"),
    ):
        Conversion.objects.get_or_create(
            kind=kind,
            key=key,
            unit=province,
            effective_from=since,
            defaults={"value": Decimal(value)},
        )
    year = ctx.today.year
    if trainee is not None:
        now = timezone.now()
        done = {
            "status": S.APPROVED,
            "unit_decided_by": liaison,
            "unit_decided_at": now,
            "dept_decided_by": admin,
            "dept_decided_at": now,
        }
        cert = _entry(
            trainee,
            "云江省委党校乡镇党委书记进修班",
            dt.date(year, 3, 9),
            by=trainee,
            days=5,
            kind="external_class",
            organizer_name="中共云江省委党校",
            hours=Decimal("30"),
            mode="full_time",
            **done,
        )
        if not cert.evidence:
            cert.evidence_name = "结业证书.pdf"
            cert.evidence.save("evidence.pdf", ContentFile(PDF), save=True)
        _entry(
            trainee,
            "干部网络学院:习近平新时代中国特色社会主义思想专题",
            dt.date(year, 4, 20),
            by=trainee,
            kind="online",
            hours=Decimal("32.5"),
            mode="online",
            category="required",
            evidence_link="https://example.org/online-college/record/2031",
            **done,
        )
        _entry(
            trainee,
            "区委理论学习中心组(扩大)学习会",
            dt.date(year, 6, 12),
            by=liaison or trainee,
            kind="study_group",
            hours=Decimal("4"),
            mode="part_time",
            category="elective",
            evidence_link="https://example.org/qh/notice/58",
            status=S.DEPT_PENDING,
            unit_decided_by=liaison,
            unit_decided_at=now,
        )
        _entry(
            trainee,
            "乡村振兴专题网络课程",
            dt.date(year, 9, 3),
            by=trainee,
            kind="online",
            hours=Decimal("6"),
            mode="online",
            evidence_link="https://example.org/online-college/record/2188",
            status=S.UNIT_PENDING,
        )
        _entry(
            trainee,
            "基层治理能力提升网络专题班",
            dt.date(year, 5, 8),
            by=trainee,
            kind="online",
            hours=Decimal("12"),
            mode="online",
            evidence_link="https://example.org/online-college/record/2090",
            status=S.REJECTED,
            reject_reason="学习记录截图未显示完成时间,请补充学习证明后重新登记。",
            unit_decided_by=liaison,
            unit_decided_at=now,
        )
    if county is None:
        return
    now = timezone.now()
    cadres = list(
        User.objects.filter(
            unit__path__startswith=county.path, rank__in=[Rank.SECTION, Rank.COUNTY]
        )
        .exclude(pk__in=[u.pk for u in ctx.users.values() if u is not None])
        .order_by("id")[:12]
    )
    for n, cadre in enumerate(cadres):
        hours = Decimal(40 + (n * 7) % 60)
        _entry(
            cadre,
            "云江市委党校中青年干部培训班",
            dt.date(year, 4, 13),
            by=liaison or admin,
            days=10,
            kind="external_class",
            organizer_name="中共云江市委党校",
            hours=hours,
            status=S.APPROVED if n % 3 else S.UNIT_PENDING,
            unit_decided_by=liaison if n % 3 else None,
            unit_decided_at=now if n % 3 else None,
            dept_decided_by=admin if n % 3 else None,
            dept_decided_at=now if n % 3 else None,
            evidence_link="https://example.org/yjc/dangxiao/2026-zqn",
        )
        if n % 2:
            _entry(
                cadre,
                "干部网络学院年度必修课程",
                dt.date(year, 7, 1),
                by=cadre,
                kind="online",
                hours=Decimal(20 + n * 3),
                mode="online",
                status=S.APPROVED,
                unit_decided_by=liaison,
                unit_decided_at=now,
                dept_decided_by=admin,
                dept_decided_at=now,
                evidence_link="https://example.org/online-college/yearly",
            )
    # Appointment dates of the 县处级 cadres: their five-year cycles run from them; the most
    # recent one was promoted short of training and owes a catch-up.
    county_rank = [c for c in cadres if c.rank == Rank.COUNTY]
    for n, cadre in enumerate(county_rank):
        CadreProfile.objects.get_or_create(
            user=cadre, defaults={"rank_appointed_on": dt.date(year - 1 - n % 4, 3 + n % 9, 1)}
        )
    ctx.say(f"credits: records for {len(cadres) + 1} cadres of 青湖区")
