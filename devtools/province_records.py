"""The province-year's training records and plans (development only), seeded after the year itself
(devtools.province) and detected by a marker of their own, so a year seeded before these existed
is extended in one incremental step instead of being seeded again.

- External credit records (credits.CreditEntry): about two per cadre and year over the five-year
  window that ends this year, from every filed source, in every approval state (the past years
  decided, this year's partly still waiting for the unit or the organization department).
- Training plans (plans): one annual plan per organizing unit of the year, 3,600 plan items at
  province scale: most programs are held from an approved item, some were held without a plan
  (an audited waiver), and some approved items were never held.
"""

import datetime as dt
import random
import time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from credits.models import CreditEntry, SourceKind
from devtools.copying import _copy, _marker, _say, _ts
from plans.models import BudgetLine, ClassCategory, CostCategory, PlanItem, TrainingPlan
from programs.models import Program
from reports.models import RollupState

PLAN_ITEMS = {"province": 3600, "quick": 120}
YEARS = 5  # the five-year window of the credit requirements
ENTRIES_PER_CADRE_YEAR = 2
# Held without a plan (waived) and planned but never held, as shares of the programs.
UNPLANNED_SHARE = 0.06
# (kind, weight, hours range, mode)
KINDS = [
    (SourceKind.EXTERNAL_CLASS, 30, (8, 40), "full_time"),
    (SourceKind.ONLINE, 40, (2, 20), "online"),
    (SourceKind.STUDY_GROUP, 15, (2, 8), "part_time"),
    (SourceKind.TEACHING, 6, (2, 6), "part_time"),
    (SourceKind.PAPER, 4, (2, 10), "other"),
    (SourceKind.OTHER, 5, (1, 6), "other"),
]
# Past years are decided; this year's records are partly waiting.
PAST_STATUS = [("approved", 93), ("rejected", 4), ("revoked", 3)]
CURRENT_STATUS = [
    ("approved", 62),
    ("unit_pending", 14),
    ("dept_pending", 10),
    ("draft", 6),
    ("rejected", 6),
    ("revoked", 2),
]
EXTERNAL_TITLES = [
    "中央党校(国家行政学院)专题研讨班",
    "省委党校中青年干部培训班",
    "全国干部教育培训网络学院专题课程",
    "理论学习中心组集体学习",
    "浦东干部学院专题培训",
    "井冈山干部学院党性教育培训",
    "延安干部学院理想信念教育",
    "数字经济与治理能力提升研修",
    "乡村振兴专题网络培训",
    "基层党建工作专题讲座",
]


def _records_marker(scale_name: str) -> str:
    return f"{_marker(scale_name)}:records"


def _pick(rng, weighted):
    total = sum(w for _v, w, *_rest in weighted)
    x = rng.uniform(0, total)
    for row in weighted:
        x -= row[1]
        if x <= 0:
            return row
    return weighted[-1]


def seed_records(scale_name: str, opts) -> dict:
    """Seed the credit records and plans of a seeded year once; later runs reuse them."""
    if RollupState.objects.filter(key=_records_marker(scale_name)).exists():
        return {"records_seeded": False}
    started = time.perf_counter()
    with transaction.atomic():
        entries = _seed_credit_entries(scale_name, opts)
        items = _seed_plans(scale_name, opts)
        RollupState.objects.update_or_create(
            key=_records_marker(scale_name), defaults={"full_rebuild_at": timezone.now()}
        )
    with connection.cursor() as cur:
        for model in (CreditEntry, PlanItem, Program):
            cur.execute(f"ANALYZE {model._meta.db_table}")
    seconds = time.perf_counter() - started
    _say(opts, f"{entries} credit records, {items} plan items in {seconds:.0f}s")
    _credit_rollups(opts)
    return {"records_seeded": True, "records_seed_s": round(seconds, 1)}


def _credit_rollups(opts) -> None:
    """Rebuild the credits app's rollups when it offers a full rebuild (its own code decides)."""
    from credits import services

    rebuild = getattr(services, "rollup_rebuild", None)
    if rebuild is None:
        return
    started = time.perf_counter()
    rebuild()
    _say(opts, f"credit rollups rebuilt in {time.perf_counter() - started:.1f}s")


def _seed_credit_entries(scale_name: str, opts) -> int:
    rng = random.Random(f"lectern-{scale_name}-credits")
    tag = scale_name.lower()
    this_year = timezone.localdate().year
    today = timezone.localdate()
    now = timezone.now()
    stamp = _ts(now)
    reviewer = User.objects.get(username=f"bench-{tag}-admin").pk
    cadres = list(
        User.objects.filter(username__startswith=f"bench-{tag}-")
        .exclude(username=f"bench-{tag}-admin")
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    cols = [
        "created_at",
        "updated_at",
        "user_id",
        "kind",
        "title",
        "organizer_name",
        "hours",
        "start_date",
        "end_date",
        "category",
        "mode",
        "status",
        "reject_reason",
        "filed_by_id",
        "unit_decided_by_id",
        "unit_decided_at",
        "dept_decided_by_id",
        "dept_decided_at",
        "revoked_by_id",
        "revoked_at",
        "revoke_reason",
        "evidence",
    ]

    def lines():
        for uid in cadres:
            for year in range(this_year - YEARS + 1, this_year + 1):
                last_day = today if year == this_year else dt.date(year, 12, 31)
                span = (last_day - dt.date(year, 1, 1)).days
                n = rng.choice((1, 2, 2, 2, 3)) if span > 0 else 0
                for k in range(n):
                    kind, _w, (lo, hi), mode = _pick(rng, KINDS)
                    start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(span))
                    end = min(last_day, start + dt.timedelta(days=rng.randint(0, 4)))
                    status = _pick(rng, CURRENT_STATUS if year == this_year else PAST_STATUS)[0]
                    decided = _ts(now - dt.timedelta(days=max(0, (today - end).days - 7)))
                    unit_by = unit_at = dept_by = dept_at = rev_by = rev_at = "\\N"
                    reject = revoke = ""
                    if status in ("dept_pending", "approved", "rejected", "revoked"):
                        unit_by, unit_at = reviewer, decided
                    if status in ("approved", "revoked"):
                        dept_by, dept_at = reviewer, decided
                    if status == "rejected":
                        reject = "证明材料不完整"
                    if status == "revoked":
                        rev_by, rev_at, revoke = reviewer, decided, "重复登记"
                    title = f"{rng.choice(EXTERNAL_TITLES)}({year}-{k + 1})"
                    yield (
                        f"{stamp}\t{stamp}\t{uid}\t{kind}\t{title}\t基准培训机构\t"
                        f"{Decimal(rng.randint(lo * 2, hi * 2)) / 2}\t{start}\t{end}\t"
                        f"{'required' if rng.random() < 0.6 else 'elective'}\t{mode}\t{status}\t"
                        f"{reject}\t{uid}\t{unit_by}\t{unit_at}\t{dept_by}\t{dept_at}\t"
                        f"{rev_by}\t{rev_at}\t{revoke}\t\n"
                    )

    count = _copy(CreditEntry, cols, lines())
    _say(opts, f"{count} external credit records for {len(cadres)} cadres over {YEARS} years")
    return count


def _seed_plans(scale_name: str, opts) -> int:
    rng = random.Random(f"lectern-{scale_name}-plans")
    tag = scale_name.upper()
    total_items = PLAN_ITEMS[scale_name]
    admin = User.objects.get(username=f"bench-{scale_name}-admin")
    now = timezone.now()
    programs = list(
        Program.objects.filter(code__startswith=f"BENCH-{tag}-")
        .order_by("code")
        .values("pk", "title", "start_date", "end_date", "capacity", "organizing_unit_id", "level")
    )
    rng.shuffle(programs)
    unplanned = int(len(programs) * UNPLANNED_SHARE)
    held = programs[unplanned:][:total_items]
    never_held = max(0, total_items - len(held))
    year = min(p["start_date"].year for p in programs)
    plans = {}
    for unit_id in sorted({p["organizing_unit_id"] for p in programs}):
        plans[unit_id] = TrainingPlan(
            unit_id=unit_id,
            year=year,
            kind=TrainingPlan.Kind.ANNUAL,
            status=TrainingPlan.Status.SUBMITTED,
            title=f"{year}年度干部教育培训计划",
            submitted_at=now,
            submitted_by=admin,
            created_by=admin,
        )
    TrainingPlan.objects.bulk_create(list(plans.values()), batch_size=2000)
    level_category = {
        Program.Level.PROVINCIAL: ClassCategory.SECOND,
        Program.Level.CITY: ClassCategory.THIRD,
        Program.Level.COUNTY: ClassCategory.THIRD,
        Program.Level.DEPARTMENT: ClassCategory.THIRD,
    }

    def item(program, *, shift=0, status=PlanItem.Status.APPROVED):
        start = program["start_date"] + dt.timedelta(days=shift)
        return PlanItem(
            plan=plans[program["organizing_unit_id"]],
            title=program["title"][:120],
            audience="基层党政领导干部",
            content="学习贯彻党的创新理论,提升履职能力",
            class_category=level_category.get(program["level"], ClassCategory.THIRD),
            start_date=start,
            end_date=start + (program["end_date"] - program["start_date"]),
            place="本级党校",
            headcount=max(1, min(2000, int(program["capacity"] * rng.uniform(0.85, 1.15)))),
            status=status,
            reviewed_by=admin if status != PlanItem.Status.PENDING else None,
            reviewed_at=now if status != PlanItem.Status.PENDING else None,
        )

    held_items = [item(p, shift=rng.choice((0, 0, 0, 7, -7, 14))) for p in held]
    extra = []
    for _ in range(never_held):  # approved (or still pending/returned) and never held
        p = rng.choice(programs)
        status = _pick(
            rng,
            [
                (PlanItem.Status.APPROVED, 70),
                (PlanItem.Status.PENDING, 15),
                (PlanItem.Status.RETURNED, 15),
            ],
        )[0]
        extra.append(item(p, shift=rng.randint(20, 120), status=status))
    PlanItem.objects.bulk_create(held_items + extra, batch_size=2000)
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(item=it, category=category, amount=Decimal(rng.randint(20, 400) * 100))
            for it in held_items + extra
            for category in (
                CostCategory.TEACHING,
                CostCategory.LODGING,
                CostCategory.MEALS,
                CostCategory.MATERIALS,
            )
        ],
        batch_size=5000,
    )
    table = Program._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {table} p SET plan_item_id = t.item FROM unnest(%s::bigint[], %s::bigint[]) "
            "AS t(program, item) WHERE p.id = t.program",
            [[p["pk"] for p in held], [it.pk for it in held_items]],
        )
        cur.execute(
            f"UPDATE {table} SET plan_waived_by_id = %s, plan_waived_at = %s, "
            "plan_waiver_reason = %s WHERE id = ANY(%s)",
            [admin.pk, now, "上级临时部署的专题培训", [p["pk"] for p in programs[:unplanned]]],
        )
    _say(
        opts,
        f"{len(plans)} plans, {len(held_items) + len(extra)} items: {len(held)} held, "
        f"{len(extra)} never held; {unplanned} programs held without a plan",
    )
    return len(held_items) + len(extra)
