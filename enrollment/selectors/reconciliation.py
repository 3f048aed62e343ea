"""Reads for the reconciliation (核对) of who a program's units named with who attended.

- named but absent: a unit's named nomination (a quota row, nominated or enrolled) with no
  credited attendance in the program;
- present but not named: an enrolled trainee with credited attendance who holds no unit's
  quota row (added directly, imported, applied, or sent in someone's place without approval).

Who attended comes from attendance through enrollment.hooks (enrollment does not import it).
Four queries whatever the size of the class.
"""

from dataclasses import dataclass

from enrollment import hooks
from enrollment.models import (
    Enrollment,
    NominationNotice,
    Reconciliation,
    ReconciliationDecision,
)
from enrollment.selectors.roster import QUOTA_STATUSES

S = Enrollment.Status
K = ReconciliationDecision.Kind
D = ReconciliationDecision.Decision

# The decisions the host may record for each kind of row (the model's check constraint holds
# the same pairs).
CHOICES = {
    K.NAMED_ABSENT: (D.LEAVE, D.ABSENT, D.SUBSTITUTED),
    K.UNNAMED_PRESENT: (D.CREDITED, D.WITHHELD),
}


@dataclass
class Row:
    enrollment: Enrollment
    kind: str
    decision: ReconciliationDecision | None

    @property
    def choices(self):
        return [(d.value, d.label) for d in CHOICES[self.kind]]


@dataclass
class Listing:
    reconciliation: Reconciliation | None
    named_absent: list
    unnamed_present: list
    named: int  # people named by their units (nominated or enrolled against a quota)
    attended: int  # people with credited attendance

    @property
    def rows(self) -> list:
        return self.named_absent + self.unnamed_present

    @property
    def undecided(self) -> int:
        return sum(1 for r in self.rows if r.decision is None)

    @property
    def closed(self) -> bool:
        return bool(self.reconciliation and self.reconciliation.status == "closed")


def has_sent_notice(program) -> bool:
    return NominationNotice.objects.filter(
        program=program, status=NominationNotice.Status.SENT
    ).exists()


def reconciliation_for(program) -> Reconciliation | None:
    return Reconciliation.objects.filter(program=program).select_related("closed_by").first()


def kind_of(enrollment, attended: set) -> str | None:
    """Which list an enrollment belongs on, if any."""
    if enrollment.quota_id and enrollment.status in QUOTA_STATUSES:
        return None if enrollment.user_id in attended else K.NAMED_ABSENT
    if enrollment.status == S.ENROLLED and enrollment.user_id in attended:
        return K.UNNAMED_PRESENT
    return None


def reconciliation(program) -> Listing:
    """The two lists, in unit and name order, each row with the host's decision if any."""
    attended = hooks.attended_user_ids(program)
    rec = reconciliation_for(program)
    decisions = (
        {d.enrollment_id: d for d in rec.decisions.select_related("decided_by")} if rec else {}
    )
    rows = (
        Enrollment.objects.filter(program=program, status__in=QUOTA_STATUSES)
        .select_related("user", "unit", "quota__unit")
        .order_by("unit__path", "user__full_name", "id")
    )
    named_absent, unnamed_present, named = [], [], 0
    for e in rows:
        named += bool(e.quota_id)
        kind = kind_of(e, attended)
        if kind is None:
            continue
        decision = decisions.get(e.pk)
        if decision is not None and decision.kind != kind:
            decision = None  # decided when the person was on the other list
        row = Row(enrollment=e, kind=kind, decision=decision)
        (named_absent if kind == K.NAMED_ABSENT else unnamed_present).append(row)
    return Listing(
        reconciliation=rec,
        named_absent=named_absent,
        unnamed_present=unnamed_present,
        named=named,
        attended=len(attended),
    )
