"""Demo programs, venues, lecturers and full timetables around today. All names are invented.

Idempotent: venues and lecturers are looked up by name, programs by code; an existing program
keeps its sessions.

Over 500 lines because it is one story told in order (the README's): each program's timetable is
written out as the press reports describe it.
"""

import datetime as dt
from decimal import Decimal

from accounts.models import Rank
from programs.models import (
    Lecturer,
    LecturerFee,
    Program,
    ProgramCost,
    ProgramFamily,
    ProgramStaff,
    Session,
    Venue,
)
from programs.recurrence import at_local

K = Session.Kind
S = Program.Status

# (name, unit code, capacity, address)
VENUES = [
    ("市委党校报告厅", "YJC-DX", 300, "云江市青湖区党校路1号 报告厅"),
    ("市委党校第一教室", "YJC-DX", 100, "云江市青湖区党校路1号 教学楼201"),
    ("市委党校研讨室", "YJC-DX", 90, "云江市青湖区党校路1号 教学楼305"),
    ("青湖区分课堂", "YJC-QH-DX", 80, "青湖区委党校 多功能厅"),
    ("东山区分课堂", "YJC-DS-DX", 80, "东山区委党校 一楼会议室"),
    ("柳溪县分课堂", "YJC-LX-DX", 80, "柳溪县委党校 报告厅"),
    ("柳溪县乡村振兴现场教学点", "YJC-LX", 120, "柳溪县桃源镇花溪村"),
    ("省委党校大礼堂", "YJ-DX", 500, "云江省委党校 大礼堂"),
    ("临川市委党校报告厅", "LC-DX", 260, "临川市北岭区学府路8号"),
]

# (name, title, affiliation, unit code or None)
LECTURERS = [
    ("顾明远", "市发展和改革委员会主任", "云江市发展和改革委员会", "YJC-FGW"),
    ("陆承志", "青湖区委书记", "中共青湖区委", "YJC-QH"),
    ("邹晨曦", "东山区委书记", "中共东山区委", "YJC-DS"),
    ("程振华", "柳溪县委书记", "中共柳溪县委", "YJC-LX"),
    ("秦立新", "市财政局局长", "云江市财政局", "YJC-CZJ"),
    ("贺雪松", "市农业农村局局长", "云江市农业农村局", "YJC-NYJ"),
    ("孔德明", "市教育局局长", "云江市教育局", "YJC-JYJ"),
    ("严思远", "市商务局局长", "云江市商务局", "YJC-SWJ"),
    ("方静怡", "教授", "云江省委党校", None),
    ("魏博文", "副教授", "云江省委党校", None),
    ("白若溪", "研究员", "云江省社会科学院", None),
    ("钱景行", "临川市委党校副校长", "中共临川市委党校", "LC"),
]

JT_TOPICS = [
    ("以高质量党建引领基层治理", "陆承志"),
    ("县域经济发展的实践与思考", "程振华"),
    ("发展新质生产力的云江路径", "顾明远"),
    ("过紧日子与财政资金绩效管理", "秦立新"),
    ("城市更新中的群众工作方法", "邹晨曦"),
    ("营商环境优化与政务服务改革", "严思远"),
    ("和美乡村建设的青湖经验", "陆承志"),
    ("教育强市建设的重点任务", "孔德明"),
    ("粮食安全与耕地保护", "贺雪松"),
    ("年度工作回顾与展望", "顾明远"),
]


def _venues(ctx) -> dict:
    out = {}
    for name, code, capacity, address in VENUES:
        unit = ctx.units.get(code)
        if unit is None:
            continue
        venue = Venue.objects.filter(name=name).first() or Venue.objects.create(
            name=name, unit=unit, capacity=capacity, address=address
        )
        out[name] = venue
    manager = ctx.users.get("venue")
    if manager is not None and "青湖区分课堂" in out:
        out["青湖区分课堂"].managers.add(manager)
    return out


# The lecturer fee tier (讲课费标准) of the experts; officials teach without a fee by title.
TITLE_LEVELS = {"方静怡": "full", "魏博文": "associate", "白若溪": "full", "钱景行": "middle"}


def _lecturers(ctx) -> dict:
    out = {}
    for name, title, affiliation, code in LECTURERS:
        lecturer = Lecturer.objects.filter(name=name).first()
        if lecturer is None:
            lecturer = Lecturer.objects.create(
                name=name,
                title=title,
                affiliation=affiliation,
                unit=ctx.units.get(code),
                title_level=TITLE_LEVELS.get(name, ""),
            )
        elif not lecturer.title_level and name in TITLE_LEVELS:
            lecturer.title_level = TITLE_LEVELS[name]
            lecturer.save(update_fields=["title_level"])
        out[name] = lecturer
    user = ctx.users.get("lecturer")
    gu = out["顾明远"]
    if user is not None and gu.user_id is None and not Lecturer.objects.filter(user=user).exists():
        gu.user = user
        gu.save(update_fields=["user"])
    ctx.extra["lecturers"] = out
    return out


class _Builder:
    """Creates one program and its sessions unless the code already exists."""

    def __init__(self, ctx, venues, lecturers):
        self.ctx, self.venues, self.lecturers = ctx, venues, lecturers

    def program(self, code, unit_code, **fields):
        existing = Program.objects.filter(code=code).first()
        if existing is not None:
            self.ctx.programs[code] = existing
            return None
        unit = self.ctx.units.get(unit_code)
        if unit is None:
            return None
        program = Program.objects.create(code=code, organizing_unit=unit, **fields)
        self.ctx.programs[code] = program
        return program

    def session(
        self,
        program,
        day,
        start,
        end,
        topic,
        *,
        kind=K.LECTURE,
        venue=None,
        branches=(),
        lecturers=(),
        hours=None,
        status=Session.Status.SCHEDULED,
        series=None,
        cancel_reason="",
    ):
        begin = at_local(day, dt.time(*start))
        finish = at_local(day, dt.time(*end))
        if hours is None:
            hours = Decimal(round((finish - begin).seconds / 3600 * 2) / 2)
        s = Session.objects.create(
            program=program,
            kind=kind,
            topic=topic,
            start=begin,
            end=finish,
            credit_hours=hours,
            venue=self.venues.get(venue),
            status=status,
            series=series,
            cancel_reason=cancel_reason,
            sequence=1 if status == Session.Status.CANCELLED else 0,
        )
        s.branch_venues.set([self.venues[b] for b in branches if b in self.venues])
        s.lecturers.set([self.lecturers[n] for n in lecturers if n in self.lecturers])
        return s


def _staff(ctx, program):
    for key, role in (
        ("manager", ProgramStaff.Role.CLASS_MANAGER),
        ("assistant", ProgramStaff.Role.CLASS_ASSISTANT),
    ):
        user = ctx.users.get(key)
        if user is not None:
            ProgramStaff.objects.get_or_create(program=program, user=user, defaults={"role": role})


def _thursday_series(b, ctx):
    """YJC-2026-JT: every Thursday 14:30–17:30 for 10 weeks around today, one holiday skipped."""
    from programs.models import RecurringSeries

    today = ctx.today
    this_thursday = today + dt.timedelta(days=(3 - today.weekday()) % 7)
    first = this_thursday - dt.timedelta(weeks=5)
    dates = [first + dt.timedelta(weeks=i) for i in range(10)]
    holiday = dates[6]
    last = dates[-1]
    p = b.program(
        "YJC-2026-JT",
        "YJC-ZZB",
        title="云江市“一把手上讲台”周四下午系列讲座",
        theme="一把手讲政策、讲实践、讲经验",
        level=Program.Level.CITY,
        kind=Program.Kind.LECTURE_SERIES,
        start_date=first,
        end_date=last,
        capacity=500,
        target_ranks=[Rank.COUNTY, Rank.SECTION],
        status=S.RUNNING,
        credit_hours=Decimal("27"),
        description="每周四下午由区县、部门主要负责同志授课,市委党校主会场与各区县分课堂同步进行。",
        completion_requires_reflection=False,
        completion_min_attendance_rate=80,
        completion_max_unexcused_absences=2,
    )
    if p is None:
        return
    series = RecurringSeries.objects.create(
        program=p,
        weekdays=[3],
        start_time=dt.time(14, 30),
        end_time=dt.time(17, 30),
        first_date=first,
        count=10,
        skip_dates=[holiday.isoformat()],
    )
    branches = ("青湖区分课堂", "东山区分课堂", "柳溪县分课堂")
    topics = iter(JT_TOPICS)
    # One lecture after next week is cancelled (停课), as happens: the lecturer was called away.
    cancelled = dates[8]
    for day in dates:
        if day == holiday:
            continue
        topic, lecturer = next(topics)
        extra = {}
        if day == cancelled:
            extra = {
                "status": Session.Status.CANCELLED,
                "cancel_reason": "授课领导临时参加上级会议,本讲另行安排",
            }
        b.session(
            p,
            day,
            (14, 30),
            (17, 30),
            topic,
            venue="市委党校报告厅",
            branches=branches,
            lecturers=[lecturer],
            series=series,
            hours=Decimal("3"),
            **extra,
        )
    _staff(ctx, p)


def _township_class(b, ctx):
    """YJC-2026-XZ: an 8-day class running today (today-3 … today+4)."""
    first = ctx.today - dt.timedelta(days=3)
    p = b.program(
        "YJC-2026-XZ",
        "YJC-ZZB",
        title="云江市乡镇党政正职专题培训班",
        theme="学习贯彻党的创新理论,提升推动基层高质量发展能力",
        level=Program.Level.CITY,
        kind=Program.Kind.TRAINING_CLASS,
        start_date=first,
        end_date=first + dt.timedelta(days=7),
        capacity=80,
        target_ranks=[Rank.SECTION],
        status=S.RUNNING,
        credit_hours=Decimal("48"),
        description="全市乡镇(街道)党(工)委书记、乡镇长集中轮训,采取专题讲座、分组研讨、现场教学相结合的方式。",
    )
    if p is None:
        return
    room, seminar, field = "市委党校第一教室", "市委党校研讨室", "柳溪县乡村振兴现场教学点"
    d = [first + dt.timedelta(days=i) for i in range(8)]
    plan = [
        (0, (8, 30), (9, 30), "开班式暨动员讲话", K.OPENING, room, ["顾明远"]),
        (0, (9, 40), (12, 0), "深入学习贯彻党的创新理论", K.LECTURE, room, ["方静怡"]),
        (0, (14, 30), (17, 30), "乡镇党委书记如何抓班子带队伍", K.LECTURE, room, ["陆承志"]),
        (1, (8, 30), (11, 30), "县域经济与乡镇产业发展", K.LECTURE, room, ["程振华"]),
        (1, (14, 30), (17, 30), "基层财政运行与债务风险防范", K.LECTURE, room, ["秦立新"]),
        (2, (8, 30), (11, 30), "乡村振兴战略的实践路径", K.LECTURE, room, ["贺雪松"]),
        (2, (14, 30), (17, 30), "新时代“枫桥经验”与矛盾纠纷化解", K.LECTURE, room, ["魏博文"]),
        (3, (8, 30), (11, 30), "发展新质生产力与乡镇招商引资", K.LECTURE, room, ["顾明远"]),
        (3, (14, 30), (17, 30), "分组研讨:如何当好乡镇“一把手”", K.SEMINAR, seminar, []),
        (4, (8, 0), (17, 0), "现场教学:花溪村和美乡村建设", K.FIELD, field, ["程振华"]),
        (5, (8, 30), (11, 30), "应急管理与安全生产", K.LECTURE, room, ["白若溪"]),
        (5, (14, 30), (17, 30), "基层党风廉政建设", K.LECTURE, room, ["方静怡"]),
        (6, (8, 30), (11, 30), "数字乡村与基层治理数字化", K.LECTURE, room, ["严思远"]),
        (6, (14, 30), (17, 30), "分组研讨:学习体会交流", K.SEMINAR, seminar, []),
        (7, (8, 30), (10, 0), "领导干部的调查研究方法", K.LECTURE, room, ["魏博文"]),
        (7, (10, 15), (11, 45), "乡镇工作中的法治思维", K.LECTURE, room, ["白若溪"]),
        (7, (14, 30), (15, 30), "结业式", K.GRADUATION, room, ["顾明远"]),
    ]
    for i, start, end, topic, kind, venue, lecturers in plan:
        b.session(p, d[i], start, end, topic, kind=kind, venue=venue, lecturers=lecturers)
    _staff(ctx, p)


def _director_forum(b, ctx):
    """YJC-JZJT-1..3: 局长讲堂 第1–3期, four Tuesday afternoons each, rotating lecturers."""
    unit = ctx.units.get("YJC-ZZB")
    if unit is None:
        return
    family = ProgramFamily.objects.filter(name="局长讲堂").first() or ProgramFamily.objects.create(
        name="局长讲堂", organizing_unit=unit, description="市直部门主要负责同志讲业务、讲政策。"
    )
    pool = ["秦立新", "贺雪松", "孔德明", "严思远", "顾明远"]
    topics = [
        "部门职能与重点工作",
        "政策解读与案例分析",
        "改革攻坚中的难点与对策",
        "服务基层的方法与体会",
    ]
    today = ctx.today
    tuesday = today - dt.timedelta(days=(today.weekday() - 1) % 7)
    starts = {
        1: tuesday - dt.timedelta(weeks=20),
        2: tuesday - dt.timedelta(weeks=9),
        3: tuesday + dt.timedelta(weeks=3),
    }
    statuses = {1: S.ARCHIVED, 2: S.COMPLETED, 3: S.PUBLISHED}
    for n in (1, 2, 3):
        first = starts[n]
        p = b.program(
            f"YJC-JZJT-{n}",
            "YJC-ZZB",
            title=f"局长讲堂(第{n}期)",
            family=family,
            cohort_number=n,
            level=Program.Level.CITY,
            kind=Program.Kind.LECTURE_SERIES,
            start_date=first,
            end_date=first + dt.timedelta(weeks=3),
            capacity=200,
            status=statuses[n],
            target_ranks=[Rank.COUNTY, Rank.SECTION, Rank.STAFF],
            credit_hours=Decimal("8"),
            completion_requires_reflection=False,
        )
        if p is None:
            continue
        for w in range(4):
            lecturer = pool[(n + w) % len(pool)]
            b.session(
                p,
                first + dt.timedelta(weeks=w),
                (15, 0),
                (17, 0),
                f"{topics[w]}({b.lecturers[lecturer].title})",
                venue="市委党校报告厅",
                lecturers=[lecturer],
                hours=Decimal("2"),
            )


def _others(b, ctx):
    today = ctx.today
    # 临川市, organized by organizer2's city.
    p = b.program(
        "LC-2026-QN",
        "LC-ZZB",
        title="临川市优秀年轻干部培训班",
        level=Program.Level.CITY,
        kind=Program.Kind.TRAINING_CLASS,
        start_date=today - dt.timedelta(days=1),
        end_date=today + dt.timedelta(days=5),
        capacity=60,
        status=S.RUNNING,
        target_ranks=[Rank.SECTION],
        credit_hours=Decimal("36"),
    )
    if p is not None:
        for i in range(6):
            day = p.start_date + dt.timedelta(days=i)
            b.session(
                p,
                day,
                (9, 0),
                (12, 0),
                [
                    "理想信念教育",
                    "改革发展专题",
                    "群众工作方法",
                    "依法行政",
                    "调查研究",
                    "廉洁从政",
                ][i],
                venue="临川市委党校报告厅",
                lecturers=["钱景行"] if i % 2 == 0 else [],
            )
    # Provincial seminar, next month.
    start = today + dt.timedelta(days=24)
    p = b.program(
        "YJ-2026-XS",
        "YJ-ZZB",
        title="全省县委书记专题研讨班",
        level=Program.Level.PROVINCIAL,
        kind=Program.Kind.TRAINING_CLASS,
        start_date=start,
        end_date=start + dt.timedelta(days=4),
        capacity=120,
        status=S.PUBLISHED,
        target_ranks=[Rank.COUNTY],
        credit_hours=Decimal("30"),
    )
    if p is not None:
        b.session(p, start, (9, 0), (10, 0), "开班式", kind=K.OPENING, venue="省委党校大礼堂")
        for i, topic in enumerate(
            ["推进中国式现代化的县域实践", "县域治理现代化", "统筹发展和安全"]
        ):
            b.session(
                p,
                start + dt.timedelta(days=i),
                (14, 30),
                (17, 30),
                topic,
                venue="省委党校大礼堂",
                lecturers=[["方静怡", "白若溪", "魏博文"][i]],
            )
    # 青湖区 county class, still a draft.
    start = today + dt.timedelta(days=40)
    p = b.program(
        "QH-2026-CS",
        "YJC-QH-ZZB",
        title="青湖区村(社区)党组织书记培训班",
        level=Program.Level.COUNTY,
        kind=Program.Kind.TRAINING_CLASS,
        start_date=start,
        end_date=start + dt.timedelta(days=2),
        capacity=70,
        status=S.DRAFT,
        target_ranks=[Rank.STAFF],
        credit_hours=Decimal("16"),
    )
    if p is not None:
        b.session(
            p, start, (9, 0), (12, 0), "村级组织建设", venue="青湖区分课堂", lecturers=["陆承志"]
        )
    # Department lecture series, completed; Wednesdays, clear of the Tuesday and Thursday series.
    start = today - dt.timedelta(days=60)
    start -= dt.timedelta(days=(start.weekday() - 2) % 7)
    p = b.program(
        "FGW-2026-YW",
        "YJC-FGW",
        title="市发改委业务能力提升讲座",
        level=Program.Level.DEPARTMENT,
        kind=Program.Kind.LECTURE_SERIES,
        start_date=start,
        end_date=start + dt.timedelta(days=14),
        capacity=80,
        status=S.COMPLETED,
        credit_hours=Decimal("6"),
    )
    if p is not None:
        for w, topic in enumerate(["项目谋划与储备", "投资审批制度改革"]):
            b.session(
                p,
                start + dt.timedelta(weeks=w),
                (15, 0),
                (18, 0),
                topic,
                venue="市委党校第一教室",
                lecturers=["顾明远"],
            )
    # Last year's class, archived.
    start = today - dt.timedelta(days=300)
    p = b.program(
        "YJC-2025-JC",
        "YJC-ZZB",
        title="2025年基层治理专题培训班",
        level=Program.Level.CITY,
        kind=Program.Kind.TRAINING_CLASS,
        start_date=start,
        end_date=start + dt.timedelta(days=4),
        capacity=80,
        status=S.ARCHIVED,
        credit_hours=Decimal("30"),
    )
    if p is not None:
        for i in range(3):
            b.session(
                p,
                start + dt.timedelta(days=i),
                (9, 0),
                (12, 0),
                ["基层治理体系建设", "网格化管理", "社会组织培育"][i],
                venue="市委党校第一教室",
                lecturers=[["魏博文", "白若溪", "方静怡"][i]],
            )
    # An online course, draft, no venue.
    start = today + dt.timedelta(days=10)
    p = b.program(
        "YJC-2026-WL",
        "YJC-ZZB",
        title="数字政府建设专题网络课程",
        level=Program.Level.CITY,
        kind=Program.Kind.ONLINE_COURSE,
        start_date=start,
        end_date=start + dt.timedelta(days=30),
        capacity=1000,
        status=S.DRAFT,
        credit_hours=Decimal("10"),
    )
    if p is not None:
        b.session(p, start, (19, 0), (21, 0), "数字政府建设概论", lecturers=["严思远"])


# Which approved item of 云江市's annual plan (plans/demo.py) each demo program comes from.
PLAN_ITEMS = {
    "YJC-2026-XZ": "云江市乡镇党政正职专题培训班",
    "YJC-2026-JT": "云江市“一把手上讲台”周四下午系列讲座",
    "YJC-JZJT-1": "局长讲堂(第1–3期)",
    "YJC-JZJT-2": "局长讲堂(第1–3期)",
    "YJC-JZJT-3": "局长讲堂(第1–3期)",
}
WAIVER_REASON = "系统启用前已举办或上级临时部署,经组织部同意计划外举办"


def _plan_basis(ctx):
    """Link the demo programs to the demo plan items (plans' demo runs first); the other
    programs past draft run outside the plan with the admin's waiver. Drafts stay without one,
    to show that publishing needs a plan item."""
    from django.utils import timezone

    from plans.models import PlanItem

    items = {
        i.title: i
        for i in PlanItem.objects.filter(
            title__in=set(PLAN_ITEMS.values()), status=PlanItem.Status.APPROVED
        ).order_by("-plan__year")
    }
    admin = ctx.users.get("admin")
    linked = waived = 0
    for code, program in ctx.programs.items():
        if program.plan_item_id or program.plan_waived_at:
            continue
        item = items.get(PLAN_ITEMS.get(code, ""))
        if item is not None:
            program.plan_item = item
            program.save(update_fields=["plan_item"])
            linked += 1
        elif program.status != S.DRAFT:
            program.plan_waived_by = admin
            program.plan_waived_at = timezone.now()
            program.plan_waiver_reason = WAIVER_REASON
            program.save(update_fields=["plan_waived_by", "plan_waived_at", "plan_waiver_reason"])
            waived += 1
    ctx.say(f"programs: {linked} programs linked to plan items, {waived} run outside the plan")
    # Actual costs (经费): 第2期 settled within its budget; the township class so far, its meals
    # already over the planned amount (the cost page warns).
    costs = {
        "YJC-JZJT-2": {"teaching": "4000", "materials": "2200"},
        "YJC-2026-XZ": {"teaching": "21000", "lodging": "98400", "meals": "63900"},
    }
    for code, lines in costs.items():
        program = ctx.programs.get(code)
        if program is not None and not program.costs.exists():
            ProgramCost.objects.bulk_create(
                [
                    ProgramCost(program=program, category=c, amount=Decimal(a))
                    for c, a in lines.items()
                ]
            )
    # Lecturer fees of the township class: 魏博文's is over the 副高 cap for the hours taught.
    program = ctx.programs.get("YJC-2026-XZ")
    lecturers = ctx.extra.get("lecturers", {})
    if program is not None and not program.lecturer_fees.exists():
        fees = {"方静怡": "5000", "魏博文": "4000", "白若溪": "4500"}
        LecturerFee.objects.bulk_create(
            LecturerFee(program=program, lecturer=lecturers[name], amount=Decimal(amount))
            for name, amount in fees.items()
            if name in lecturers
        )


def seed(ctx):
    venues = _venues(ctx)
    lecturers = _lecturers(ctx)
    b = _Builder(ctx, venues, lecturers)
    _thursday_series(b, ctx)
    _township_class(b, ctx)
    _director_forum(b, ctx)
    _others(b, ctx)
    _plan_basis(ctx)
    ctx.extra["venues"] = venues
    ctx.say(
        f"programs: {len(ctx.programs)} programs, {len(venues)} venues, {len(lecturers)} lecturers"
    )
