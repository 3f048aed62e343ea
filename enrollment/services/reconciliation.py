"""Reconciliation (核对) of a program with a nomination notice: the host records a decision for
each person named by their unit who did not attend (请假, 缺勤, 替换) and for each person who
attended without being named (认定学时 or 不予认定学时; the latter sets
Enrollment.credit_withheld, and the credit rule then gives that enrollment no session hours),
then closes the reconciliation once every row is decided. Reopening it is allowed (audited); the
lists are always computed afresh (enrollment.selectors.reconciliation)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from enrollment.models import Enrollment, Reconciliation, ReconciliationDecision
from enrollment.selectors import reconciliation as sel
from enrollment.services._base import _ensure_open, _lock_program

K = ReconciliationDecision.Kind
D = ReconciliationDecision.Decision
NOTE_MAX = 300


def _locked_reconciliation(program) -> Reconciliation:
    """The program's reconciliation row, created on first use, locked. Refused for a program
    without a sent notice and on a closed (completed/archived) program."""
    program = _lock_program(program)
    _ensure_open(program)
    if not sel.has_sent_notice(program):
        raise DomainError(_("本班没有已发送的调训通知,无需核对。"))
    rec, _created = Reconciliation.objects.get_or_create(program=program)
    return Reconciliation.objects.select_for_update().get(pk=rec.pk)


def _ensure_editable(rec) -> None:
    if rec.status == Reconciliation.Status.CLOSED:
        raise DomainError(_("核对已完成,如需修改请先重新打开核对。"))


@transaction.atomic
def reconciliation_decide(
    *, enrollment, decision: str, by, note: str = ""
) -> ReconciliationDecision:
    """Record (or change) the host's decision on one person of the lists. The person must be on
    the list the decision belongs to, now (the lists follow attendance as it is recorded)."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("说明最多 %(n)d 个字。") % {"n": NOTE_MAX}, field="note")
    rec = _locked_reconciliation(enrollment.program)
    _ensure_editable(rec)
    e = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=enrollment.pk, program_id=rec.program_id)
    )
    kind = sel.kind_of(e, sel.hooks.attended_user_ids(rec.program))
    if kind is None:
        raise DomainError(
            _("%(name)s 已不在核对名单中(名单随考勤记录变化),请刷新页面。")
            % {"name": e.user.full_name}
        )
    if decision not in sel.CHOICES[kind]:
        raise DomainError(_("请选择有效的处理方式。"), field="decision")
    if decision == D.SUBSTITUTED and not note:
        raise DomainError(_("请在说明中写明由谁替换。"), field="note")
    existing = ReconciliationDecision.objects.filter(reconciliation=rec, enrollment=e).first()
    before = {"decision": existing.decision, "note": existing.note} if existing else {}
    row, _created = ReconciliationDecision.objects.update_or_create(
        reconciliation=rec,
        enrollment=e,
        defaults={"kind": kind, "decision": decision, "note": note, "decided_by": by},
    )
    withheld = decision == D.WITHHELD
    if kind == K.UNNAMED_PRESENT and e.credit_withheld != withheld:
        e.credit_withheld = withheld
        e.save(update_fields=["credit_withheld", "updated_at"])
    elif kind == K.NAMED_ABSENT and e.credit_withheld:
        # moved from the other list (their attendance was removed): nothing withheld any more
        e.credit_withheld = False
        e.save(update_fields=["credit_withheld", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.reconcile",
        target=e,
        before=before,
        after={"kind": kind, "decision": decision, "note": note, "credit_withheld": withheld},
    )
    return row


@transaction.atomic
def reconciliation_close(*, program, by, now=None) -> Reconciliation:
    """Close the reconciliation: every row of both lists must have a decision."""
    rec = _locked_reconciliation(program)
    _ensure_editable(rec)
    listing = sel.reconciliation(rec.program)
    if listing.undecided:
        raise DomainError(
            _("还有 %(n)d 人未处理,全部处理后才能完成核对。") % {"n": listing.undecided}
        )
    rec.status = Reconciliation.Status.CLOSED
    rec.closed_by, rec.closed_at = by, now or timezone.now()
    rec.save(update_fields=["status", "closed_by", "closed_at", "updated_at"])
    audit_log(
        actor=by,
        action="enrollment.reconcile_close",
        target=rec,
        after={
            "named_absent": len(listing.named_absent),
            "unnamed_present": len(listing.unnamed_present),
            "withheld": sum(
                1 for r in listing.unnamed_present if r.decision.decision == D.WITHHELD
            ),
        },
    )
    return rec


@transaction.atomic
def reconciliation_reopen(*, program, by, reason: str) -> Reconciliation:
    """Open a closed reconciliation again (a late leave approval, a corrected mark), with a
    reason in the audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写重新打开核对的原因。"), field="reason")
    rec = _locked_reconciliation(program)
    if rec.status != Reconciliation.Status.CLOSED:
        raise DomainError(_("核对尚未完成,无需重新打开。"))
    rec.status, rec.closed_by, rec.closed_at = Reconciliation.Status.OPEN, None, None
    rec.save(update_fields=["status", "closed_by", "closed_at", "updated_at"])
    audit_log(actor=by, action="enrollment.reconcile_reopen", target=rec, reason=reason)
    return rec
