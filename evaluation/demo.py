"""Demo data for evaluation: reflections on YJC-2026-XZ, course evaluations, a live scoring round,
call-on picks, a completed 局长讲堂 cohort with certificates, credit hours and follow-up.

Idempotent: each block looks for its own rows first. Copes with thin data from earlier apps: when
a program has no enrolled trainees or no attendance yet, a small set is topped up here."""

import datetime as dt

from django.utils import timezone

from attendance.models import AttendanceRecord, AttendanceStatus
from attendance.rules import IN_ROOM as ATTENDED
from core.errors import DomainError
from enrollment.models import Enrollment
from evaluation import selectors, services
from evaluation.models import (
    CallOnPick,
    Certificate,
    Commitment,
    CommitmentUpdate,
    Completion,
    CreditPolicy,
    EvaluationReceipt,
    Grade,
    Reflection,
    ReflectionAssignment,
    ScoringRound,
)
from programs.models import Session

OPENINGS = [
    "这次参加全市乡镇党政正职专题培训班,是一次深化理论武装、提升履职能力的宝贵机会。",
    "八天的集中学习时间虽短,却让我对新时代乡镇工作有了更系统、更深入的认识。",
    "作为一名到乡镇任职不久的主要负责同志,这次培训可谓及时雨、解渴课。",
    "带着工作中的困惑走进课堂,带着破解难题的思路回到岗位,这是我参加本期培训最大的感受。",
]
BODY = [
    "在新质生产力专题课上,授课老师结合本省产业实际,讲清楚了传统产业转型升级与培育新兴产业之间的关系,让我认识到乡镇同样可以在特色产业链条上找准位置。",
    "基层治理专题让我深受触动。老师介绍的网格化管理、积分制治理等做法,说明治理效能的提升关键在于把群众组织起来、把矛盾化解在萌芽状态。",
    "现场教学中,我们走进茶园、合作社和村级便民服务中心,看到一个曾经的空壳村通过盘活闲置资源发展乡村旅游,村集体经济收入实现了翻番。",
    "分组研讨时,各位同学围绕招商引资、耕地保护、防止规模性返贫等问题畅所欲言,不少同志的经验做法可以直接拿来借鉴。",
    "课程中关于依法行政的案例分析让我警醒。乡镇工作直接面对群众,一项决策是否合法合规、程序是否到位,直接关系到政府公信力。",
    "关于作风建设的专题讲座讲得很透彻。形式主义、官僚主义在基层往往表现为材料多、会议多、督查多,我们要带头为基层减负。",
    "领导干部上讲台的做法让我印象深刻。局长们讲政策、讲案例、讲方法,既有理论高度,又有实践温度,听得懂、用得上。",
    "学习中我反复思考,乡镇党委书记既是指挥员也是战斗员,必须把抓党建促发展的责任扛在肩上,落到每一个村、每一个项目。",
    "数字乡村建设专题拓宽了我的视野。利用信息化手段开展矛盾纠纷排查、农产品线上销售,能够让数据多跑路、群众少跑腿。",
    "应急管理专题提醒我们,防汛、森林防火、安全生产等工作容不得半点侥幸,必须把隐患排查做在前面,把预案演练做在平时。",
]
PLANS = [
    "回到{place}后,我准备用一个月时间走遍全部{n}个村(社区),摸清产业底数和群众急难愁盼问题,建立问题清单和责任清单。",
    "结合{place}实际,我们将重点培育茶叶、中药材两个特色产业,推动成立联农带农的专业合作社,力争三年内村集体经济收入全部超过十万元。",
    "{place}将把这次学到的积分制治理经验用起来,先在两个村试点,成熟后全镇推开,推动移风易俗和人居环境整治见到实效。",
    "我们计划在{place}建立“周一议事、周五督查”的工作机制,把培训中学到的方法转化为抓落实的具体举措。",
]
CLOSINGS = [
    "学习是为了更好地工作。我将以这次培训为新的起点,把学习成果转化为推动高质量发展的实际成效,不辜负组织的信任和群众的期待。",
    "培训结束不是终点,而是新的起点。我将持续加强学习,在实践中不断提高抓班子、带队伍、促发展的能力。",
    "总之,这次培训让我开阔了视野、理清了思路、增强了信心,我将带着责任和使命回到岗位,扎扎实实为群众办实事、解难题。",
]
COMMENTS = [
    "案例丰富,很解渴,希望多安排类似课程。",
    "联系基层实际紧密,讲得透彻。",
    "内容较多,时间有些紧,建议留出互动时间。",
    "授课生动,政策解读清楚。",
    "希望增加现场教学的比重。",
    "",
    "",
]
COUNTY_PRESENTERS = [
    ("秦朗", "柳溪县委书记", "“茶旅融合”带动县域经济高质量发展的思路"),
    ("洪立峰", "石堰县委书记", "以园区提质推动制造业转型升级"),
    ("魏晨", "禾田县委书记", "粮食生产功能区建设与耕地保护行动方案"),
    ("陆清源", "长坪县委书记", "生态产品价值实现机制的探索"),
    ("卓远航", "云山县委书记", "县域商业体系建设三年行动"),
    ("冉书华", "东山区委书记", "老城区更新与基层治理同步推进"),
    ("傅启明", "青湖区委书记", "打造“15分钟便民生活圈”的实施路径"),
    ("宁致远", "北岭区委书记", "飞地园区与产业协作的新模式"),
    ("简承宇", "南湾区委书记", "港口物流与临港产业联动发展"),
    ("阎景初", "西渡区委书记", "“一网统管”提升城市治理效能"),
]
COMMITMENTS = [
    (
        "建立部门重点工作清单和月调度机制",
        "对照讲堂所学,梳理本部门年度重点任务,明确责任人和时间表。",
    ),
    ("开展一次基层调研并形成调研报告", "带队深入两个乡镇、四个村,形成问题清单和对策建议。"),
    ("组织本单位干部开展政策解读宣讲", "把讲堂课程内容转化为本单位内部培训,覆盖全体科室。"),
    ("推动一项便民服务事项“一次办”", "梳理办事流程,压减材料和时限,实现群众办事只跑一次。"),
]


FRAG_A = [
    "对照课堂所学反思",
    "回顾近两年在{place}的工作",
    "结合{place}的镇情村情",
    "联系分管的{topic}工作",
    "从这次分组研讨的交流看",
    "对照先进地区的经验",
]
FRAG_B = [
    "我感到最突出的短板是",
    "我们在{topic}上还存在",
    "群众反映最集中的问题是",
    "制约发展的瓶颈在于",
]
FRAG_C = [
    "项目谋划不够深、储备不够足",
    "干部队伍年龄结构偏大、专业力量不足",
    "村级集体经济来源单一、增收乏力",
    "矛盾纠纷排查化解机制不够健全",
    "产业链条短、农产品附加值不高",
    "公共服务设施布局不够均衡",
]
FRAG_D = [
    "下一步要在{topic}上下功夫,",
    "必须以钉钉子精神抓落实,",
    "要把问题清单变成任务清单,",
    "要借鉴课上介绍的做法,",
]
FRAG_E = [
    "力争年内取得明显进展。",
    "让群众真正感受到变化。",
    "形成可复制可推广的经验。",
    "做到件件有着落、事事有回音。",
]
TOPICS = ["产业发展", "基层治理", "乡村建设", "招商引资", "生态保护", "民生保障", "安全生产"]


def _own_sentence(rng, place):
    topic = rng.choice(TOPICS)
    return (
        rng.choice(FRAG_A)
        + ","
        + rng.choice(FRAG_B)
        + rng.choice(FRAG_C)
        + "。"
        + rng.choice(FRAG_D)
        + rng.choice(FRAG_E)
    ).format(place=place, topic=topic)


def _essay(rng, place: str) -> str:
    parts = [rng.choice(OPENINGS)]
    parts += rng.sample(BODY, 2)
    parts += [_own_sentence(rng, place) for _ in range(3)]
    parts.append(rng.choice(PLANS).format(place=place, n=rng.randint(8, 16)))
    parts.append(rng.choice(CLOSINGS))
    return "\n".join(parts)


def _now():
    return timezone.now()


def _ensure_trainees(ctx, program, n: int):
    """Enrolled trainees of the program; when the enrollment demo left it empty, enroll a few
    generated cadres so the evaluation pages have someone to show."""
    users = list(selectors.enrolled_users(program).order_by("id"))
    if users or not ctx.cadres:
        return users
    pool = [u for u in ctx.cadres if getattr(u, "rank", "")][:n]
    for u in pool:
        Enrollment.objects.get_or_create(
            program=program,
            user=u,
            defaults={
                "unit": u.unit,
                "status": Enrollment.Status.ENROLLED,
                "source": Enrollment.Source.MANUAL,
            },
        )
    return list(selectors.enrolled_users(program).order_by("id"))


def _ensure_attendance(ctx, program, users):
    """Attendance for the program's finished sessions, only for sessions with no records yet."""
    now = _now()
    for session in Session.objects.filter(program=program, end__lte=now, status="scheduled"):
        if AttendanceRecord.objects.filter(session=session).exists():
            continue
        rows = []
        for u in users:
            roll = ctx.rng.random()
            status = (
                AttendanceStatus.PRESENT
                if roll < 0.86
                else AttendanceStatus.LATE
                if roll < 0.93
                else AttendanceStatus.ON_LEAVE
                if roll < 0.97
                else AttendanceStatus.ABSENT
            )
            checkin = (
                session.start + dt.timedelta(minutes=ctx.rng.randint(-20, 2))
                if status == AttendanceStatus.PRESENT
                else session.start + dt.timedelta(minutes=12)
                if status == AttendanceStatus.LATE
                else None
            )
            rows.append(
                AttendanceRecord(
                    session=session,
                    user=u,
                    venue=session.venue,
                    status=status,
                    checkin_at=checkin,
                    checkout_at=session.end if checkin else None,
                    source=AttendanceRecord.Source.AUTO
                    if checkin is None
                    else AttendanceRecord.Source.QR,
                )
            )
        AttendanceRecord.objects.bulk_create(rows, ignore_conflicts=True)


def _reflections(ctx, program, users):
    title = "专题培训学习体会"
    if ReflectionAssignment.objects.filter(program=program, title=title).exists():
        return
    organizer = ctx.users.get("organizer")
    manager = ctx.users.get("manager") or organizer
    deadline = timezone.make_aware(dt.datetime.combine(program.end_date, dt.time(18, 0)))
    a = services.assignment_create(
        program=program,
        title=title,
        prompt="结合本期培训所学和本乡镇工作实际,谈谈学习体会和下一步工作打算。要求观点鲜明、联系实际,不少于300字。",
        deadline=deadline,
        min_chars=300,
        attachment_types="pdf,docx",
        allow_late=False,
        by=organizer,
    )
    demo_trainee = ctx.users.get("trainee")
    rng = ctx.rng
    copied = None
    for i, u in enumerate(users):
        place = u.unit.name if u.unit_id else "我镇"
        if demo_trainee and u.pk == demo_trainee.pk:
            services.reflection_save_draft(
                assignment=a,
                user=u,
                body=_essay(rng, place)[:240],
                title="把学习成果转化为乡村振兴的实际行动",
                rev=1,
            )
            continue
        roll = rng.random()
        if roll < 0.15:
            continue  # not started
        body = _essay(rng, place)
        if roll < 0.3:
            services.reflection_save_draft(assignment=a, user=u, body=body[:200], rev=1)
            continue
        if copied is None and i > 3:
            copied = body
        elif copied is not None and i % 17 == 0:
            body = "这次培训让我收获很大。" + copied  # a near-duplicate pair for the reviewers
        services.reflection_submit(
            assignment=a,
            user=u,
            body=body,
            title=rng.choice(["学习体会", "以学促干 担当作为", "学思践悟 笃行致远", ""]),
        )
        if rng.random() < 0.6:
            r = Reflection.objects.get(assignment=a, author=u)
            grade = rng.choices([Grade.EXCELLENT, Grade.GOOD, Grade.PASS], weights=[3, 5, 2])[0]
            score = {Grade.EXCELLENT: 92, Grade.GOOD: 84, Grade.PASS: 72}[grade] + rng.randint(
                -3, 3
            )
            services.reflection_review(
                reflection=r,
                grade=grade,
                score=score,
                comment=rng.choice(
                    ["联系实际紧密,思路清晰。", "体会真切,举措具体。", "建议进一步结合本镇实际。"]
                ),
                by=manager,
            )
    ctx.say(f"evaluation: reflections for {program.code}")


def _evaluations(ctx, program, *, share=0.75):
    rng = ctx.rng
    now = _now()
    for session in Session.objects.filter(program=program, start__lte=now):
        attendees = [
            r.user
            for r in AttendanceRecord.objects.filter(
                session=session, status__in=ATTENDED
            ).select_related("user")
        ]
        answered = set(
            EvaluationReceipt.objects.filter(session=session).values_list("user_id", flat=True)
        )
        if answered:
            continue
        for u in attendees:
            if u.pk in answered or rng.random() > share:
                continue
            base = rng.choices([4, 3, 2, 1], weights=[60, 28, 9, 3])[0]
            ratings = {
                k: max(1, min(4, base + rng.choice([0, 0, 0, -1, 1])))
                for k in ("content", "delivery", "relevance", "overall")
            }
            try:
                services.evaluation_submit(
                    session=session, user=u, ratings=ratings, comment=rng.choice(COMMENTS)
                )
            except DomainError:
                continue


def _scoring(ctx, program):
    title = "县委书记发展思路汇报 · 现场打分"
    if ScoringRound.objects.filter(program=program, title=title).exists():
        return
    judges = [ctx.users.get(k) for k in ("organizer", "admin", "manager", "lecturer", "assistant")]
    judges = [j for j in judges if j]
    rnd = services.round_create(
        program=program,
        title=title,
        drop_extremes=True,
        criteria=[
            {"name": "思路清晰", "weight": "30", "min": "0", "max": "10"},
            {"name": "举措务实", "weight": "40", "min": "0", "max": "10"},
            {"name": "现场表达", "weight": "30", "min": "0", "max": "10"},
        ],
        presenters=[{"name": n, "position": p, "topic": t} for n, p, t in COUNTY_PRESENTERS],
        judge_users=judges,
        by=ctx.users.get("organizer"),
    )
    criteria = list(rnd.criteria.all())
    rng = ctx.rng
    for pi, presenter in enumerate(rnd.presenters.all()):
        level = rng.uniform(6.5, 9.3)
        for j in judges:
            # The organizer's phone is left for the demo: 6 of 10 scored.
            if j == ctx.users.get("organizer") and pi >= 6:
                continue
            values = {
                str(c.pk): str(round(min(10, max(0, level + rng.uniform(-1, 1))) * 2) / 2)
                for c in criteria
            }
            services.score_submit(rnd=rnd, presenter=presenter, judge_user=j, values=values)
    ctx.say(f"evaluation: scoring round with {len(COUNTY_PRESENTERS)} presenters")


def _callon(ctx, program):
    if CallOnPick.objects.filter(program=program).exists():
        return
    now = _now()
    sessions = Session.objects.filter(program=program, end__lte=now).order_by("-start")[:2]
    by = ctx.users.get("manager")
    for session in sessions:
        for _ in range(3):
            try:
                services.callon_pick(session=session, by=by, rng=ctx.rng)
            except DomainError:
                break


def _completion(ctx, program):
    if Completion.objects.filter(program=program).exists():
        return
    from programs.access import program_is_open
    from programs.services import program_reopen, program_reopen_end

    admin = ctx.users.get("admin")
    program.refresh_from_db()
    reopened = False
    if not program_is_open(program) and admin is not None:
        # A closed cohort's results are entered the way a real correction would be: an admin
        # reopens it (audited), the organizer confirms, the admin closes it again.
        program_reopen(program=program, by=admin, reason="补录往期结业结果")
        reopened = True
    try:
        services.completion_confirm(
            program=program, by=ctx.users.get("organizer"), issued_on=program.end_date
        )
    except DomainError as exc:
        ctx.say(f"evaluation: completion of {program.code} skipped ({exc})")
        return
    finally:
        if reopened:
            program_reopen_end(program=program, by=admin)
    today = ctx.today
    rng = ctx.rng
    for c in Completion.objects.filter(program=program, passed=True).select_related("user"):
        if rng.random() > 0.7:
            continue
        title, description = rng.choice(COMMITMENTS)
        due = today + dt.timedelta(days=rng.choice([-12, -3, 20, 45, 60]))
        commitment = Commitment.objects.create(
            program=program, user=c.user, title=title, description=description, due_date=due
        )
        if rng.random() < 0.6:
            progress = rng.choice([20, 40, 60, 100])
            CommitmentUpdate.objects.create(
                commitment=commitment, progress=progress, note="已召开专题会议部署,正在按计划推进。"
            )
            Commitment.objects.filter(pk=commitment.pk).update(
                progress=progress,
                last_update_at=_now() - dt.timedelta(days=rng.randint(1, 50)),
                status=Commitment.Status.DONE if progress == 100 else Commitment.Status.OPEN,
            )
    _one_revoked(ctx, program)
    ctx.say(f"evaluation: completion confirmed for {program.code}")


def _one_revoked(ctx, program):
    """One certificate of the cohort withdrawn after a check of the records, so the demo shows
    what a holder, the completion page and the public verification say about it."""
    if Certificate.objects.filter(completion__program=program, revoked_at__isnull=False).exists():
        return
    trainee = ctx.users.get("trainee")
    cert = (
        Certificate.objects.filter(completion__program=program)
        .exclude(completion__user=trainee)
        .select_related("completion")
        .order_by("-serial")
        .first()
    )
    if cert is None:
        return
    reason = "结业后核查发现出勤记录有误,经重新确认出勤率未达结业要求"
    Completion.objects.filter(pk=cert.completion_id).update(passed=False, reasons=[reason])
    Certificate.objects.filter(pk=cert.pk).update(
        revoked_at=_now() - dt.timedelta(days=3),
        revoked_reason=reason,
        revoked_by=ctx.users.get("organizer"),
    )


def seed(ctx):
    xz = ctx.programs.get("YJC-2026-XZ")
    if xz is not None:
        CreditPolicy.objects.get_or_create(
            program=xz, defaults={"late_percent": 50, "left_early_percent": 50}
        )
        users = _ensure_trainees(ctx, xz, 40)
        trainee = ctx.users.get("trainee")
        if trainee and not any(u.pk == trainee.pk for u in users) and users:
            Enrollment.objects.get_or_create(
                program=xz,
                user=trainee,
                defaults={
                    "unit": trainee.unit,
                    "status": Enrollment.Status.ENROLLED,
                    "source": Enrollment.Source.MANUAL,
                },
            )
            users = list(selectors.enrolled_users(xz).order_by("id"))
        _ensure_attendance(ctx, xz, users)
        _reflections(ctx, xz, users)
        _evaluations(ctx, xz)
        _scoring(ctx, xz)
        _callon(ctx, xz)
    else:
        ctx.say("evaluation: YJC-2026-XZ missing, reflections and scoring skipped")

    done = ctx.programs.get("YJC-JZJT-2")
    if done is not None:
        users = _ensure_trainees(ctx, done, 30)
        trainee = ctx.users.get("trainee")
        if trainee and users and not Completion.objects.filter(program=done).exists():
            Enrollment.objects.get_or_create(
                program=done,
                user=trainee,
                defaults={
                    "unit": trainee.unit,
                    "status": Enrollment.Status.ENROLLED,
                    "source": Enrollment.Source.MANUAL,
                },
            )
            users = list(selectors.enrolled_users(done).order_by("id"))
        _ensure_attendance(ctx, done, users)
        if trainee and users:  # the demo trainee attended every session of the completed cohort
            for session in Session.objects.filter(program=done, end__lte=_now()):
                AttendanceRecord.objects.get_or_create(
                    session=session,
                    user=trainee,
                    defaults={
                        "status": AttendanceStatus.PRESENT,
                        "checkin_at": session.start,
                        "venue": session.venue,
                        "source": AttendanceRecord.Source.QR,
                    },
                )
        _evaluations(ctx, done, share=0.9)
        _completion(ctx, done)
    else:
        ctx.say("evaluation: YJC-JZJT-2 missing, completion skipped")
