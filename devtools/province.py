"""The province-year seeder the benchmarks share (development only).

`seed("province")` fills PostgreSQL with COPY: 3,600 programs, ~300k enrollments, ~3M attendance
records, plus the programs the PDF benchmark renders; `seed("quick")` a much smaller year. A
seeded year is detected by its marker and reused by later runs. Invented names only.

Over 500 lines on purpose: it is one workflow, the seeding of one year, table by table in the order
of their foreign keys; splitting it would scatter the one COPY plan across files.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import OrgUnit, Rank, Role, RoleGrant, User
from attendance.models import AttendanceRecord
from devtools.copying import _copy, _marker, _raw, _say, _text, _ts  # noqa: F401 (re-exported)
from enrollment.models import Enrollment
from programs.models import (
    ATTENDANCE_POLICY_FIELDS,
    COMPLETION_POLICY_FIELDS,
    Program,
    Session,
    Venue,
)
from reports.models import RollupState


@dataclass(frozen=True)
class Scale:
    programs: int
    enrollments: int
    cadres: int
    cities: int
    counties_per_city: int
    pdf_trainees: int


SCALES = {
    "province": Scale(
        programs=3600,
        enrollments=300_000,
        cadres=150_000,
        cities=14,
        counties_per_city=7,
        pdf_trainees=2000,
    ),
    "quick": Scale(
        programs=120,
        enrollments=10_000,
        cadres=6000,
        cities=3,
        counties_per_city=3,
        pdf_trainees=400,
    ),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "建国志强海燕晓明丽华文军宏伟春梅秀英立新振华德明光辉永红玉兰卫东俊峰雪松思远晨曦嘉怡子涵浩然雨萱博文欣悦一鸣若溪承志明远静怡书瑶泽宇梓涵铭轩婉清嘉懿晟睿沐阳知秋问渠景行"
TOPICS = [
    "习近平新时代中国特色社会主义思想专题",
    "推进乡村全面振兴",
    "发展新质生产力",
    "基层治理现代化",
    "全面从严治党",
    "防范化解重大风险",
    "优化营商环境",
    "生态文明建设",
    "依法行政",
    "应急管理",
    "数字政府建设",
    "调查研究方法",
    "群众工作方法",
    "党史学习教育",
]
RANK_WEIGHTS = [(Rank.STAFF, 45), (Rank.SECTION, 35), (Rank.COUNTY, 15), (Rank.BUREAU, 5)]
LEVEL_WEIGHTS = [
    (Program.Level.PROVINCIAL, 10),
    (Program.Level.CITY, 35),
    (Program.Level.COUNTY, 45),
    (Program.Level.DEPARTMENT, 10),
]
# Status mix of one session's records, shifted per trainee by a "reliability" factor.
STATUS_BASE = [
    ("present", 0.885),
    ("late", 0.04),
    ("left_early", 0.02),
    ("late_left_early", 0.005),
    ("on_leave", 0.03),
    ("absent", 0.02),
]
POLICY_FIELDS = (*ATTENDANCE_POLICY_FIELDS, *COMPLETION_POLICY_FIELDS)
PDF_SIGNIN = "BENCH-PDF-SIGNIN"
PDF_SUMMARY = "BENCH-PDF-SUMMARY"


def _pick(rng, weighted):
    total = sum(w for _v, w in weighted)
    x = rng.uniform(0, total)
    for value, w in weighted:
        x -= w
        if x <= 0:
            return value
    return weighted[-1][0]


def _name(rng):
    return (
        rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    )


# --- Seeding -----------------------------------------------------------------------------------


def seed(scale_name: str, opts) -> dict:
    """Seed the scale once; a later run finds the marker and reuses the data."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the reports benchmarks need PostgreSQL (set DATABASE_URL)")
    scale = SCALES[scale_name]
    state = RollupState.objects.filter(key=_marker(scale_name)).first()
    if (
        state is not None
        and Program.objects.filter(code__startswith=f"BENCH-{scale_name.upper()}-").count()
        == scale.programs
    ):
        _say(opts, f"reusing the {scale_name} seed from {state.full_rebuild_at:%Y-%m-%d %H:%M}")
        return {"seeded": False, "seed_s": 0.0, **_records(scale_name, opts)}
    started = time.perf_counter()
    with transaction.atomic():
        _seed(scale_name, scale, opts)
        RollupState.objects.update_or_create(
            key=_marker(scale_name), defaults={"full_rebuild_at": timezone.now()}
        )
    with connection.cursor() as cur:
        for table in (
            "accounts_user",
            "programs_program",
            "programs_session",
            "enrollment_enrollment",
            "attendance_attendancerecord",
        ):
            cur.execute(f"ANALYZE {table}")
    seed_s = time.perf_counter() - started
    _say(opts, f"seeded {scale_name} in {seed_s:.0f}s")
    from reports.services import rollup_rebuild_all

    started = time.perf_counter()
    counts = rollup_rebuild_all()
    _say(opts, f"rollups rebuilt in {time.perf_counter() - started:.1f}s: {counts}")
    return {"seeded": True, "seed_s": round(seed_s, 1), **_records(scale_name, opts)}


def _records(scale_name: str, opts) -> dict:
    """The year's credit records and plans (devtools.province_records), seeded once."""
    from devtools.province_records import seed_records

    return seed_records(scale_name, opts)


def _seed(scale_name: str, scale: Scale, opts) -> None:
    rng = random.Random(f"lectern-{scale_name}")
    tag = scale_name.upper()
    now = timezone.now()
    today = timezone.localdate()
    year_start = dt.date(today.year, 1, 5)
    last_start = max(year_start + dt.timedelta(days=30), today - dt.timedelta(days=20))

    # Units: province → cities (departments, counties → departments, townships).
    province = OrgUnit.objects.create(name="云江省(基准)", code=f"BENCH-{tag}", kind="province")
    prov_dept = OrgUnit.objects.create(
        name="省委组织部(基准)", code=f"BENCH-{tag}-ZZB", kind="department", parent=province
    )
    cities, counties, leaves, zzb = [], [], [], {}
    for c in range(scale.cities):
        city = OrgUnit.objects.create(
            name=f"基准{c + 1}市", code=f"BENCH-{tag}-C{c}", kind="city", parent=province
        )
        cities.append(city)
        for d, dname in enumerate(
            ["组织部", "发改委", "教育局", "财政局", "农业农村局", "商务局", "党校", "应急局"]
        ):
            dept = OrgUnit.objects.create(
                name=f"{city.name}{dname}",
                code=f"BENCH-{tag}-C{c}-D{d}",
                kind="department",
                parent=city,
            )
            leaves.append((dept, city, None))
            if d == 0:
                zzb[city.pk] = dept
        for k in range(scale.counties_per_city):
            county = OrgUnit.objects.create(
                name=f"{city.name}{k + 1}县",
                code=f"BENCH-{tag}-C{c}-K{k}",
                kind="county",
                parent=city,
            )
            counties.append((county, city))
            for d, dname in enumerate(["委组织部", "发改局", "农业农村局", "委党校"]):
                dept = OrgUnit.objects.create(
                    name=f"{county.name}{dname}",
                    code=f"BENCH-{tag}-C{c}-K{k}-D{d}",
                    kind="department",
                    parent=county,
                )
                leaves.append((dept, city, county))
                if d == 0:
                    zzb[county.pk] = dept
            for t in range(8):
                town = OrgUnit.objects.create(
                    name=f"{county.name}第{t + 1}镇",
                    code=f"BENCH-{tag}-C{c}-K{k}-T{t}",
                    kind="township",
                    parent=county,
                )
                leaves.append((town, city, county))
    _say(opts, f"{OrgUnit.objects.filter(code__startswith=f'BENCH-{tag}').count()} units")

    # Cadres, spread over the leaf units.
    user_cols = [
        "password",
        "is_superuser",
        "username",
        "full_name",
        "email",
        "phone",
        "staff_number",
        "id_number",
        "gender",
        "unit_id",
        "rank",
        "position",
        "is_active",
        "is_staff",
        "date_joined",
        "email_notifications",
    ]
    positions = {Rank.STAFF: "科员", Rank.SECTION: "科长", Rank.COUNTY: "处长", Rank.BUREAU: "局长"}
    cadre_units = [rng.randrange(len(leaves)) for _ in range(scale.cadres)]
    stamp = _ts(now)

    def user_lines():
        for i, leaf in enumerate(cadre_units):
            rank = _pick(rng, RANK_WEIGHTS)
            yield (
                f"!\tf\tbench-{tag.lower()}-{i}\t{_name(rng)}\t\t\t\t\t"
                f"{'M' if rng.random() < 0.6 else 'F'}\t{leaves[leaf][0].pk}\t{rank}\t"
                f"{positions[rank]}\tt\tf\t{stamp}\tf\n"
            )

    _copy(User, user_cols, user_lines())
    ids = dict(
        User.objects.filter(username__startswith=f"bench-{tag.lower()}-").values_list(
            "username", "pk"
        )
    )
    user_ids = [ids[f"bench-{tag.lower()}-{i}"] for i in range(scale.cadres)]
    by_city: dict[int, list[int]] = {c.pk: [] for c in cities}
    by_county: dict[int, list[int]] = {k.pk: [] for k, _c in counties}
    unit_of: dict[int, int] = {}
    for uid, leaf in zip(user_ids, cadre_units, strict=True):
        unit, city, county = leaves[leaf]
        unit_of[uid] = unit.pk
        by_city[city.pk].append(uid)
        if county is not None:
            by_county[county.pk].append(uid)
    admin = User.objects.create_user(
        username=f"bench-{tag.lower()}-admin", full_name="基准管理员", unit=prov_dept
    )
    RoleGrant.objects.create(user=admin, role=Role.ADMIN, unit=province)
    _say(opts, f"{len(user_ids)} cadres")

    # Programs, with the size of each class drawn around the mean.
    mean = scale.enrollments / scale.programs
    sizes = [max(12, int(rng.lognormvariate(0, 0.45) * mean)) for _ in range(scale.programs)]
    factor = scale.enrollments / sum(sizes)
    sizes = [max(10, int(s * factor)) for s in sizes]
    program_rows = []
    for i in range(scale.programs):
        level = _pick(rng, LEVEL_WEIGHTS)
        if level == Program.Level.PROVINCIAL:
            organizer, pool = prov_dept, user_ids
        elif level == Program.Level.COUNTY:
            county, city = rng.choice(counties)
            organizer, pool = zzb[county.pk], by_county[county.pk]
        else:
            city = rng.choice(cities)
            organizer, pool = zzb[city.pk], by_city[city.pk]
        start = year_start + dt.timedelta(days=rng.randrange((last_start - year_start).days))
        n_sessions = rng.randint(6, 14)
        days = (n_sessions + 1) // 2
        program_rows.append(
            (i, level, organizer, pool, start, days, n_sessions, min(sizes[i], len(pool)))
        )
    # Top up to the planned total (rounding and small pools lose a few places).
    deficit = scale.enrollments - sum(r[7] for r in program_rows)
    while deficit > 0:
        k = rng.randrange(len(program_rows))
        row = program_rows[k]
        if row[7] < len(row[3]):
            program_rows[k] = (*row[:7], row[7] + 1)
            deficit -= 1
    prog_cols = [
        "created_at",
        "updated_at",
        "code",
        "title",
        "theme",
        "description",
        "level",
        "kind",
        "organizing_unit_id",
        "start_date",
        "end_date",
        "capacity",
        "target_ranks",
        "status",
        "credit_hours",
        *(Program._meta.get_field(name).column for name in POLICY_FIELDS),
    ]
    # Every program keeps the model's default policy (programs.models names the policy fields).
    policy = "".join(
        "\t" + _text(Program._meta.get_field(name).get_default()) for name in POLICY_FIELDS
    )

    def program_lines():
        for i, level, organizer, _pool, start, days, n_sessions, size in program_rows:
            title = (
                f"{organizer.name.replace('组织部', '')}{rng.choice(TOPICS)}培训班第{i % 9 + 1}期"
            )
            yield (
                f"{stamp}\t{stamp}\tBENCH-{tag}-{i:05d}\t{title}\t\t\t{level}\tclass\t"
                f"{organizer.pk}\t{start}\t{start + dt.timedelta(days=days)}\t{size}\t[]\t"
                f"completed\t{n_sessions * 3}{policy}\n"
            )

    _copy(Program, prog_cols, program_lines())
    program_ids = dict(
        Program.objects.filter(code__startswith=f"BENCH-{tag}-").values_list("code", "pk")
    )

    # Sessions: mornings and afternoons on consecutive days.
    sess_cols = [
        "created_at",
        "updated_at",
        "program_id",
        "kind",
        "topic",
        "start",
        "end",
        "credit_hours",
        "status",
        "venue_id",
        "notes",
    ]
    tz = timezone.get_current_timezone()
    session_plan = {}

    def session_lines():
        for i, _level, _org, _pool, start, _days, n_sessions, _size in program_rows:
            pid = program_ids[f"BENCH-{tag}-{i:05d}"]
            slots = []
            for k in range(n_sessions):
                day = start + dt.timedelta(days=k // 2)
                begin = dt.datetime.combine(
                    day, dt.time(9, 0) if k % 2 == 0 else dt.time(14, 30), tzinfo=tz
                )
                slots.append(begin)
                yield (
                    f"{stamp}\t{stamp}\t{pid}\tlecture\t{rng.choice(TOPICS)}\t{_ts(begin)}\t"
                    f"{_ts(begin + dt.timedelta(hours=3))}\t3.0\tscheduled\t\\N\t\n"
                )
            session_plan[pid] = slots

    _copy(Session, sess_cols, session_lines())
    sessions_of: dict[int, list[tuple[int, dt.datetime]]] = {}
    for sid, pid, start in (
        Session.objects.filter(program__code__startswith=f"BENCH-{tag}-")
        .order_by("program_id", "start")
        .values_list("pk", "program_id", "start")
    ):
        sessions_of.setdefault(pid, []).append((sid, start))
    _say(opts, f"{len(program_ids)} programs, {sum(len(v) for v in sessions_of.values())} sessions")

    # Enrollments and attendance.
    enr_cols = [
        "created_at",
        "updated_at",
        "program_id",
        "user_id",
        "unit_id",
        "status",
        "source",
        "waitlist_position",
        "status_changed_at",
        "note",
    ]
    members: dict[int, list[int]] = {}
    for i, _level, _org, pool, _start, _days, _n, size in program_rows:
        members[program_ids[f"BENCH-{tag}-{i:05d}"]] = rng.sample(pool, size)

    def enrollment_lines():
        for pid, uids in members.items():
            for uid in uids:
                yield (
                    f"{stamp}\t{stamp}\t{pid}\t{uid}\t{unit_of[uid]}\tenrolled\tnomination\t"
                    f"\\N\t\\N\t\n"
                )

    n_enr = _copy(Enrollment, enr_cols, enrollment_lines())
    att_cols = [
        "created_at",
        "updated_at",
        "session_id",
        "user_id",
        "venue_id",
        "status",
        "checkin_at",
        "checkout_at",
        "source",
        "device_id",
        "flagged",
        "note",
    ]
    reliability = {}

    def attendance_lines():
        for pid, uids in members.items():
            for sid, start in sessions_of[pid]:
                for uid in uids:
                    r = reliability.get(uid)
                    if r is None:
                        r = reliability[uid] = min(1.0, max(0.0, rng.gauss(0.0, 1.0)))
                    x = rng.random()
                    if r > 0.9:  # a few habitually miss sessions
                        x = x * 0.8 + 0.2
                    acc = 0.0
                    status = "absent"
                    for st, p in STATUS_BASE:
                        acc += p
                        if x < acc:
                            status = st
                            break
                    if status in ("absent", "on_leave"):
                        cin = cout = "\\N"
                        source = "leave" if status == "on_leave" else "auto"
                    else:
                        late = status in ("late", "late_left_early")
                        early = status in ("left_early", "late_left_early")
                        cin = _ts(
                            start
                            + dt.timedelta(
                                minutes=rng.randint(8, 40) if late else -rng.randint(1, 25)
                            )
                        )
                        cout = _ts(
                            start + dt.timedelta(minutes=150 if early else 180 + rng.randint(0, 10))
                        )
                        source = "qr"
                    yield (
                        f"{stamp}\t{stamp}\t{sid}\t{uid}\t\\N\t{status}\t{cin}\t{cout}\t"
                        f"{source}\t\tf\t\n"
                    )

    n_att = _copy(AttendanceRecord, att_cols, attendance_lines())
    _say(opts, f"{n_enr} enrollments, {n_att} attendance records")
    _seed_pdf_programs(tag, province, rng, stamp, tz)


def _seed_pdf_programs(tag: str, province, rng, stamp, tz) -> None:
    """Two programs for the PDF benchmark: 200 trainees in 5 units (sign-in sheet) and the
    summary program (2,000 trainees in 10 units at province scale), 10 sessions each."""
    scale = SCALES["province" if tag == "PROVINCE" else "quick"]
    for code, trainees, units in (
        (f"{PDF_SIGNIN}-{tag}", 200, 5),
        (f"{PDF_SUMMARY}-{tag}", scale.pdf_trainees, 10),
    ):
        org = OrgUnit.objects.create(name=f"{code}单位", code=code, kind="city", parent=province)
        leaf = [
            OrgUnit.objects.create(
                name=f"基准第{i + 1}乡镇", code=f"{code}-{i}", kind="township", parent=org
            )
            for i in range(units)
        ]
        venue = Venue.objects.create(name="省委党校大礼堂", capacity=2500, unit=org)
        start = timezone.localdate() - dt.timedelta(days=8)
        program = Program.objects.create(
            code=code,
            title="云江省乡镇党政正职乡村振兴专题培训班",
            level="provincial",
            kind="class",
            organizing_unit=org,
            start_date=start,
            end_date=start + dt.timedelta(days=5),
            status="completed",
            credit_hours=Decimal("30"),
        )
        sessions = Session.objects.bulk_create(
            [
                Session(
                    program=program,
                    topic=TOPICS[i],
                    venue=venue,
                    start=dt.datetime.combine(
                        start + dt.timedelta(days=i // 2),
                        dt.time(9 if i % 2 == 0 else 14, 30),
                        tzinfo=tz,
                    ),
                    end=dt.datetime.combine(
                        start + dt.timedelta(days=i // 2),
                        dt.time(12 if i % 2 == 0 else 17, 30),
                        tzinfo=tz,
                    ),
                )
                for i in range(10)
            ]
        )
        users = User.objects.bulk_create(
            [
                User(
                    username=f"{code.lower()}-{i}",
                    full_name=_name(rng),
                    unit=leaf[i % units],
                    rank=Rank.SECTION,
                    position=rng.choice(["党委书记", "镇长", "副镇长", "乡长"]),
                    password="!",
                )
                for i in range(trainees)
            ],
            batch_size=2000,
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    program=program, user=u, unit=u.unit, status="enrolled", source="nomination"
                )
                for u in users
            ],
            batch_size=2000,
        )
        AttendanceRecord.objects.bulk_create(
            [
                AttendanceRecord(
                    session=s,
                    user=u,
                    status=_pick(rng, [(st, p * 1000) for st, p in STATUS_BASE]),
                    source="qr",
                    checkin_at=s.start,
                )
                for s in sessions
                for u in users
            ],
            batch_size=5000,
        )


# --- Benchmarks --------------------------------------------------------------------------------
