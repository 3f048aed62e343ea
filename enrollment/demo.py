"""Demo enrollment: quotas and nominations, applications with a waitlist, one withdrawal,
discussion groups. Idempotent: rows are looked up by (program, unit) and (program, user)."""

import datetime as dt

from django.utils import timezone

from accounts.models import Rank
from enrollment import services
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
    EnrollmentPolicy,
    NominationNotice,
    NoticeReceipt,
    Quota,
    SubstitutionRequest,
    WithdrawalRequest,
)

S = Enrollment.Status
SRC = Enrollment.Source
XZ_SIZE = 71
JT_SIZE = 120
ROOMS = ["研讨室301", "研讨室302", "研讨室303", "研讨室305", "研讨室306", "研讨室308"]


def _aware(day, hour=18):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _row(
    program, user, *, status, source, quota=None, by=None, reason="", position=None, when=None
):
    e, created = Enrollment.objects.get_or_create(
        program=program,
        user=user,
        defaults={
            "unit": user.unit,
            "status": status,
            "source": source,
            "quota": quota,
            "nominated_by": by if source == SRC.NOMINATION else None,
            "decision_reason": reason,
            "waitlist_position": position,
            "status_changed_at": when or timezone.now(),
        },
    )
    return e


def _county_of(user, counties):
    return next((c for c in counties if user.unit.path.startswith(c.path)), None)


def _township_class(ctx):
    """YJC-2026-XZ: 71 township and county cadres of 云江市, nominated by county quotas and
    confirmed, in six discussion groups; one more who withdrew (history kept)."""
    program = ctx.programs.get("YJC-2026-XZ")
    counties = [ctx.units[c] for c in ("YJC-QH", "YJC-DS", "YJC-LX") if c in ctx.units]
    if program is None or not counties or "trainee" not in ctx.users:
        return
    trainee, liaison, organizer = (ctx.users.get(k) for k in ("trainee", "liaison", "organizer"))
    pool = [u for u in ctx.cadres if u.unit_id and _county_of(u, counties)]
    # Township and county leaders first, then county departments.
    pool.sort(key=lambda u: (u.unit.kind not in ("township", "county"), u.username))
    chosen = [trainee] + [u for u in pool if u.pk != trainee.pk][:XZ_SIZE]
    seated, leaver = chosen[:XZ_SIZE], chosen[XZ_SIZE] if len(chosen) > XZ_SIZE else None
    per_county = {c.pk: 0 for c in counties}
    for u in seated:
        per_county[_county_of(u, counties).pk] += 1
    quotas = {}
    for c in counties:
        quotas[c.pk], _ = Quota.objects.get_or_create(
            # 柳溪县 was given one seat more than it filled (its reply is overdue in the notice)
            program=program,
            unit=c,
            defaults={"seats": per_county[c.pk] + (c.code == "YJC-LX"), "set_by": organizer},
        )
    EnrollmentPolicy.objects.get_or_create(
        program=program,
        defaults={"nomination_deadline": _aware(program.start_date - dt.timedelta(days=7))},
    )
    start = _aware(program.start_date - dt.timedelta(days=10), 10)
    for u in seated:
        county = _county_of(u, counties)
        _row(
            program,
            u,
            status=S.ENROLLED,
            source=SRC.NOMINATION,
            quota=quotas[county.pk],
            by=liaison if county.code == "YJC-QH" else None,
            when=start,
        )
    if leaver is not None:
        e = _row(
            program,
            leaver,
            status=S.WITHDRAWN,
            source=SRC.NOMINATION,
            quota=quotas[_county_of(leaver, counties).pk],
            reason="抽调参加防汛值守",
            when=_aware(program.start_date - dt.timedelta(days=1), 9),
        )
        WithdrawalRequest.objects.get_or_create(
            enrollment=e,
            defaults={
                "reason": "抽调参加防汛值守",
                "requested_by": leaver,
                "status": WithdrawalRequest.Status.APPROVED,
                "decided_by": organizer,
                "decided_at": e.status_changed_at,
                "decision_note": "同意,请单位另行安排学习",
            },
        )
    if not DiscussionGroup.objects.filter(program=program).exists():
        services.groups_generate(program=program, count=6, by=organizer, rooms=ROOMS)
    ctx.say(f"enrollment: {program.code} {len(seated)} enrolled in 6 groups, 1 withdrawn")


def _lecture_series(ctx):
    """YJC-2026-JT: the trainee and ~120 cadres of 云江市 follow the Thursday lectures, in the
    main hall and the district branch classrooms."""
    program = ctx.programs.get("YJC-2026-JT")
    city = ctx.units.get("YJC")
    if program is None or city is None or "trainee" not in ctx.users:
        return
    pool = sorted(
        (u for u in ctx.cadres if u.unit_id and u.unit.path.startswith(city.path)),
        key=lambda u: u.username,
        reverse=True,
    )
    audience = [ctx.users["trainee"]] + [u for u in pool if u.pk != ctx.users["trainee"].pk]
    for u in audience[:JT_SIZE]:
        _row(program, u, status=S.ENROLLED, source=SRC.IMPORT)
    ctx.say(f"enrollment: {program.code} {min(JT_SIZE, len(audience))} enrolled")


def _nominations(ctx):
    """YJ-2026-XS (province, published): county quotas; 青湖区's liaison has nominated two
    county leaders, waiting for review."""
    program = ctx.programs.get("YJ-2026-XS")
    liaison, admin = ctx.users.get("liaison"), ctx.users.get("admin")
    if program is None or liaison is None:
        return
    EnrollmentPolicy.objects.get_or_create(
        program=program, defaults={"nomination_deadline": _aware(ctx.today + dt.timedelta(days=10))}
    )
    for code, seats in (("YJC-QH", 3), ("YJC-DS", 2), ("YJC-LX", 2), ("LC-LCB", 2), ("BH-BHN", 2)):
        if code in ctx.units:
            Quota.objects.get_or_create(
                program=program, unit=ctx.units[code], defaults={"seats": seats, "set_by": admin}
            )
    qh = ctx.units.get("YJC-QH")
    quota = Quota.objects.filter(program=program, unit=qh).first()
    if quota is None:
        return
    leaders = [u for u in ctx.cadres if u.unit_id == qh.pk and u.rank == Rank.COUNTY]
    for u in sorted(leaders, key=lambda u: u.username)[:2]:
        _row(program, u, status=S.NOMINATED, source=SRC.NOMINATION, quota=quota, by=liaison)
    ctx.say(f"enrollment: {program.code} quotas, nominations pending review")


def _applications(ctx):
    """YJC-JZJT-3 (published): open to applications with 6 seats set aside; six approved, two
    on the waitlist, three waiting for review, one turned down."""
    program = ctx.programs.get("YJC-JZJT-3")
    city = ctx.units.get("YJC")
    if program is None or city is None:
        return
    EnrollmentPolicy.objects.get_or_create(
        program=program,
        defaults={
            "applications_open": True,
            "application_seats": 6,
            "waitlist_enabled": True,
            "application_deadline": _aware(program.start_date - dt.timedelta(days=2)),
        },
    )
    taken = set(Enrollment.objects.filter(program=program).values_list("user_id", flat=True))
    excluded = {u.pk for u in ctx.users.values()}
    pool = [
        u
        for u in sorted(ctx.cadres, key=lambda u: u.username)
        if u.unit_id
        and u.unit.path.startswith(city.path)
        and u.unit.kind == "department"
        and u.pk not in excluded
    ]
    plan = [S.ENROLLED] * 6 + [S.WAITLISTED] * 2 + [S.APPLIED] * 3 + [S.REJECTED]
    if len(taken) >= len(plan):
        return
    organizer = ctx.users.get("organizer")
    for i, (u, status) in enumerate(zip(pool, plan, strict=False)):
        _row(
            program,
            u,
            status=status,
            source=SRC.APPLICATION,
            position=(i - 5) if status == S.WAITLISTED else None,
            reason="本期主题与岗位职责关联不大,建议报名下一期" if status == S.REJECTED else "",
            when=_aware(ctx.today - dt.timedelta(days=3 - i % 3), 9),
        )
        if status in (S.ENROLLED, S.WAITLISTED, S.REJECTED) and organizer:
            Enrollment.objects.filter(program=program, user=u).update(decided_by=organizer)
    ctx.say(f"enrollment: {program.code} open for applications, waitlist of 2")


def _notice(ctx):
    """YJC-2026-XZ's nomination notice (调训通知), sent 20 days before the class with the reply
    deadline a week before it: 青湖区 and 东山区 replied in full, 柳溪县 left a seat unfilled
    (overdue); after the deadline 青湖区's liaison asked to replace one of its cadres (待审批)."""
    program = ctx.programs.get("YJC-2026-XZ")
    organizer, liaison = ctx.users.get("organizer"), ctx.users.get("liaison")
    if program is None or organizer is None or NominationNotice.objects.filter(program=program):
        return
    from enrollment.services.notices import notice_defaults

    policy = EnrollmentPolicy.objects.filter(program=program).first()
    deadline = (policy and policy.nomination_deadline) or _aware(
        program.start_date - dt.timedelta(days=7)
    )
    sent_at = _aware(program.start_date - dt.timedelta(days=20), 10)
    fields = notice_defaults(program=program, now=sent_at)
    notice = NominationNotice.objects.create(
        program=program,
        doc_number="云组干调〔2026〕8号",
        title=fields["title"],
        body=fields["body"],
        reply_deadline=deadline,
        contact="市委组织部干部教育科 林老师,0871-6000000",
        issuing_unit=program.organizing_unit.name,
        issue_date=sent_at.date(),
        status=NominationNotice.Status.SENT,
        created_by=organizer,
        sent_by=organizer,
        sent_at=sent_at,
    )
    quotas = list(Quota.objects.filter(program=program).select_related("unit"))
    for i, q in enumerate(quotas):
        NoticeReceipt.objects.create(
            notice=notice,
            unit=q.unit,
            sent_at=sent_at,
            read_at=sent_at + dt.timedelta(hours=2 + 20 * i),
            read_by=liaison if q.unit.code == "YJC-QH" else None,
        )
    qh = next((q for q in quotas if q.unit.code == "YJC-QH"), None)
    trainee = ctx.users.get("trainee")
    named = (
        Enrollment.objects.filter(quota=qh, status=S.ENROLLED)
        .exclude(user=trainee)
        .order_by("user__username")
        .first()
        if qh
        else None
    )
    taken = Enrollment.objects.filter(program=program).values_list("user_id", flat=True)
    spare = next(
        (
            u
            for u in sorted(ctx.cadres, key=lambda u: u.username)
            if qh and u.unit_id and u.unit.path.startswith(qh.unit.path) and u.pk not in set(taken)
        ),
        None,
    )
    if named and spare and liaison:
        SubstitutionRequest.objects.create(
            enrollment=named,
            new_user=spare,
            reason="原定人员被抽调参加省委巡视工作",
            requested_by=liaison,
        )
    ctx.say(f"enrollment: {program.code} notice sent, 1 unit overdue, 1 substitution request")


def seed(ctx):
    _township_class(ctx)
    _notice(ctx)
    _lecture_series(ctx)
    _nominations(ctx)
    _applications(ctx)
