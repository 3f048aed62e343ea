"""Every enrollment URL for every role. The world's program is published and organized by
city A: organizer/admin/manager/assistant manage it; trainee, lecturer and venue manager are
involved; the liaison (青湖区) is audience; outsider and other_trainee cannot see it (404)."""

from enrollment.models import Enrollment
from tests.enrollment.factories import (
    GroupFactory,
    ImportBatchFactory,
    NominationFactory,
    QuotaFactory,
    WithdrawalRequestFactory,
)
from tests.factories import EnrollmentFactory, UserFactory
from tests.permissions import LOGIN, Entry, everyone

MANAGERS = {"manager": 200, "assistant": 200, "organizer": 200, "admin": 200}


def manage_only(code=200, *, others=403):
    """MANAGE → code; involved/audience → `others`; no access → 404."""
    table = everyone(others, outsider=404, other_trainee=404)
    table.update(dict.fromkeys(MANAGERS, code))
    return table


def program(w):
    return {"pk": w.program.pk}


def quota(w):
    return QuotaFactory(program=w.program, unit=w.county_a, seats=5)


def nomination(w):
    q = quota(w)
    return NominationFactory(quota=q, user=UserFactory(unit=w.county_a), nominated_by=w.liaison)


def application(w):
    return EnrollmentFactory(
        program=w.program,
        user=UserFactory(unit=w.county_a),
        status=Enrollment.Status.APPLIED,
        source=Enrollment.Source.APPLICATION,
    )


def withdrawal(w):
    e = Enrollment.objects.get(program=w.program, user=w.trainee)
    return WithdrawalRequestFactory(enrollment=e)


def substitution_data(w):
    return {"user": UserFactory(unit=w.county_a).pk, "reason": "工作调动"}


def notice(w, *, send=True):
    """A notice of the world's program (moved to start in ten days, plan waived) with a quota for
    青湖区, sent unless `send` is False."""
    import datetime as dt

    from django.utils import timezone

    from enrollment.services import notices
    from programs.models import Program

    today = timezone.localdate()
    Program.objects.filter(pk=w.program.pk).update(
        start_date=today + dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=14),
        plan_waived_by=w.admin,
    )
    w.program.refresh_from_db()
    QuotaFactory(program=w.program, unit=w.county_a, seats=2)
    data = notices.notice_defaults(program=w.program)
    data.update(
        doc_number="云组干调〔2026〕12号",
        contact="王老师,0871-6000000",
        reply_deadline=timezone.now() + dt.timedelta(days=5),
    )
    n = notices.notice_save(program=w.program, by=w.organizer, **data)
    if send:
        notices.notice_send(notice=n, by=w.organizer)
    return n


def receipt(w):
    return {"pk": notice(w).receipts.get(unit=w.county_a).pk}


def reconciling(w, *, close=False):
    """The world's program with a sent notice; the world's trainee (added directly) attended,
    so they are on the present-but-not-named list unless `close` (then nobody attended and the
    empty reconciliation is closed)."""
    from attendance.models import AttendanceRecord
    from enrollment.services import reconciliation
    from tests.factories import AttendanceRecordFactory

    notice(w)
    if close:
        reconciliation.reconciliation_close(program=w.program, by=w.organizer)
    elif not AttendanceRecord.objects.filter(session=w.session, user=w.trainee).exists():
        AttendanceRecordFactory(session=w.session, user=w.trainee)
    return {"pk": w.program.pk}


def substitution(w):
    """A liaison's pending request, after the deadline, to replace a confirmed nominee."""
    import datetime as dt

    from django.utils import timezone

    from enrollment.models import EnrollmentPolicy, SubstitutionRequest

    old = nomination(w)
    Enrollment.objects.filter(pk=old.pk).update(status=Enrollment.Status.ENROLLED)
    EnrollmentPolicy.objects.update_or_create(
        program=w.program,
        defaults={"nomination_deadline": timezone.now() - dt.timedelta(hours=1)},
    )
    return SubstitutionRequest.objects.create(
        enrollment=old,
        new_user=UserFactory(unit=w.county_a),
        reason="借调",
        requested_by=w.liaison,
    )


def _substitution_status(w):
    from enrollment.models import SubstitutionRequest

    return list(SubstitutionRequest.objects.values_list("status", flat=True))


def _trainee_row(w):
    return Enrollment.objects.get(program=w.program, user=w.trainee)


def _reconciliation_status(w):
    from enrollment.models import Reconciliation

    return Reconciliation.objects.filter(program=w.program).values_list("status", flat=True).first()


PERMISSIONS = {
    "enrollment:open": Entry(expect=everyone(200)),
    "enrollment:mine": Entry(expect=everyone(200)),
    "enrollment:apply": Entry(
        method="post", kwargs=program, expect=everyone(302, outsider=404, other_trainee=404)
    ),
    "enrollment:withdraw": Entry(
        method="post",
        kwargs=lambda w: {"pk": Enrollment.objects.get(program=w.program, user=w.trainee).pk},
        data=lambda w: {"reason": "单位有紧急任务"},
        expect=everyone(403, outsider=404, other_trainee=404, trainee=302),
    ),
    # Any organizer has a review page for their own scope (the outsider sees an empty one).
    "enrollment:reviews": Entry(expect=everyone(403, outsider=200, **MANAGERS)),
    "enrollment:roster": Entry(kwargs=program, expect=manage_only()),
    "enrollment:review": Entry(kwargs=program, expect=manage_only()),
    "enrollment:quotas": Entry(kwargs=program, expect=manage_only()),
    "enrollment:policy": Entry(
        method="post",
        kwargs=program,
        data=lambda w: {"applications_open": "on", "waitlist_enabled": "on"},
        expect=manage_only(302),
    ),
    "enrollment:nomination_confirm": Entry(
        method="post", kwargs=lambda w: {"pk": nomination(w).pk}, expect=manage_only(302)
    ),
    "enrollment:nomination_send_back": Entry(
        method="post",
        kwargs=lambda w: {"pk": nomination(w).pk},
        data=lambda w: {"reason": "不符合条件"},
        expect=manage_only(302),
    ),
    "enrollment:application_approve": Entry(
        method="post", kwargs=lambda w: {"pk": application(w).pk}, expect=manage_only(302)
    ),
    "enrollment:application_reject": Entry(
        method="post",
        kwargs=lambda w: {"pk": application(w).pk},
        data=lambda w: {"reason": "名额已满"},
        expect=manage_only(302),
    ),
    "enrollment:withdrawal_approve": Entry(
        method="post", kwargs=lambda w: {"pk": withdrawal(w).pk}, expect=manage_only(302)
    ),
    "enrollment:withdrawal_reject": Entry(
        method="post",
        kwargs=lambda w: {"pk": withdrawal(w).pk},
        data=lambda w: {"reason": "课程安排重要"},
        expect=manage_only(302),
    ),
    "enrollment:import_upload": Entry(kwargs=program, expect=manage_only()),
    "enrollment:import_preview": Entry(
        kwargs=lambda w: {"pk": ImportBatchFactory(program=w.program).pk}, expect=manage_only()
    ),
    "enrollment:import_confirm": Entry(
        method="post",
        kwargs=lambda w: {"pk": ImportBatchFactory(program=w.program).pk},
        expect=manage_only(302),
    ),
    "enrollment:import_cancel": Entry(
        method="post",
        kwargs=lambda w: {"pk": ImportBatchFactory(program=w.program).pk},
        expect=manage_only(302),
    ),
    "enrollment:import_unit_resolve": Entry(
        method="post",
        kwargs=lambda w: {"pk": ImportBatchFactory(program=w.program).pk},
        data=lambda w: {"text": "市发改委", "unit": w.county_a.pk},
        expect=manage_only(302),
    ),
    "enrollment:import_row_edit": Entry(
        method="post",
        kwargs=lambda w: {"pk": ImportBatchFactory(program=w.program).pk, "row": 2},
        data=lambda w: {"name": "张三"},
        expect=manage_only(302),
    ),
    "enrollment:groups": Entry(kwargs=program, expect=manage_only()),
    "enrollment:groups_generate": Entry(
        method="post", kwargs=program, data=lambda w: {"count": 1}, expect=manage_only(302)
    ),
    "enrollment:group_move": Entry(
        method="post", kwargs=program, data=lambda w: {"enrollment": 0}, expect=manage_only(302)
    ),
    "enrollment:group_edit": Entry(
        method="post",
        kwargs=lambda w: {"pk": GroupFactory(program=w.program).pk},
        data=lambda w: {"name": "第一组", "room": "301"},
        expect=manage_only(302),
    ),
    "enrollment:export_xlsx": Entry(method="post", kwargs=program, expect=manage_only(302)),
    "enrollment:export_pdf": Entry(method="post", kwargs=program, expect=manage_only(302)),
    "enrollment:liaison": Entry(expect=everyone(403, liaison=200)),
    "enrollment:quota": Entry(
        kwargs=lambda w: {"pk": quota(w).pk}, expect=manage_only(others=403) | {"liaison": 200}
    ),
    "enrollment:nominate": Entry(
        method="post",
        kwargs=lambda w: {"pk": quota(w).pk},
        data=lambda w: {"user": UserFactory(unit=w.county_a).pk},
        expect=manage_only(403) | {"liaison": 302},
    ),
    "enrollment:substitute": Entry(
        method="post",
        kwargs=lambda w: {"pk": nomination(w).pk},
        data=substitution_data,
        expect=manage_only(403) | {"liaison": 302},
    ),
    "enrollment:notice": Entry(kwargs=program, expect=manage_only()),
    "enrollment:notice_send": Entry(
        method="post",
        kwargs=lambda w: {"pk": notice(w, send=False).program_id},
        expect=manage_only(302),
    ),
    "enrollment:notice_remind": Entry(
        method="post",
        kwargs=lambda w: {"pk": notice(w).program_id},
        expect=manage_only(302),
    ),
    "enrollment:notice_pdf": Entry(
        kwargs=lambda w: {"pk": notice(w).program_id},
        expect=manage_only() | {"liaison": 200},
    ),
    "enrollment:notice_receipt": Entry(kwargs=receipt, expect=manage_only() | {"liaison": 200}),
    "enrollment:notice_decline": Entry(
        method="post",
        kwargs=receipt,
        data=lambda w: {"reason": "主要负责同志参加防汛工作"},
        expect=manage_only(403) | {"liaison": 302},
    ),
    "enrollment:substitution_approve": Entry(
        method="post",
        kwargs=lambda w: {"pk": substitution(w).pk},
        expect=manage_only(302),
        effect=_substitution_status,
    ),
    "enrollment:substitution_refuse": Entry(
        method="post",
        kwargs=lambda w: {"pk": substitution(w).pk},
        data=lambda w: {"reason": "已开班"},
        expect=manage_only(302),
        effect=_substitution_status,
    ),
    "enrollment:reconciliation": Entry(kwargs=reconciling, expect=manage_only()),
    "enrollment:reconciliation_export": Entry(kwargs=reconciling, expect=manage_only()),
    "enrollment:reconciliation_decide": Entry(
        method="post",
        kwargs=reconciling,
        data=lambda w: {"enrollment": _trainee_row(w).pk, "decision": "withheld"},
        expect=manage_only(302),
        effect=lambda w: _trainee_row(w).credit_withheld,
    ),
    "enrollment:reconciliation_close": Entry(
        method="post",
        kwargs=lambda w: {"pk": notice(w).program_id},
        expect=manage_only(302),
        effect=_reconciliation_status,
    ),
    "enrollment:reconciliation_reopen": Entry(
        method="post",
        kwargs=lambda w: reconciling(w, close=True),
        data=lambda w: {"reason": "补批请假"},
        expect=manage_only(302),
        effect=_reconciliation_status,
    ),
}

assert LOGIN  # every entry expects LOGIN for anonymous through everyone()
