"""Every enrollment read for a page, one module per workflow:

- roster: a program's roster, counts, policy and review queue; one object for a user; groups;
  a trainee's and the home pages (other apps use `enrolled_users`, `enrollments_for_program`);
- quotas: unit quotas, liaisons and candidates, a program's reviewers;
- notices: nomination notices, receipts, reply states, substitution requests;
- reconciliation: named against present (核对).

The roster and quota names are re-exported here: `from enrollment import selectors` keeps
working (`selectors.notices`, `selectors.reconciliation` for the others). The roster import's
reads live with the import (enrollment.imports.selectors).
"""

from enrollment.selectors.quotas import (
    is_liaison_for,
    liaison_quotas,
    liaisons_of,
    nomination_get,
    program_quotas,
    program_reviewers,
    quota_candidates,
    quota_get,
    quota_nominees,
    quotas_with_usage,
)
from enrollment.selectors.roster import (
    CLOSED_STATUSES,
    QUOTA_STATUSES,
    UNGROUPED,
    applications_open,
    enrolled_count,
    enrolled_users,
    enrollment_get,
    enrollments_for_program,
    group_board,
    group_get,
    groups_with_members,
    history,
    import_batch_get,
    managed_programs,
    my_enrollments,
    nominations_open,
    open_programs_for,
    policy_for,
    review_overview,
    review_queue,
    roster,
    seats_free,
    status_counts,
    trainee_clashes,
    withdrawal_get,
)

__all__ = [
    "CLOSED_STATUSES",
    "QUOTA_STATUSES",
    "applications_open",
    "enrolled_count",
    "enrolled_users",
    "enrollment_get",
    "enrollments_for_program",
    "UNGROUPED",
    "group_board",
    "group_get",
    "groups_with_members",
    "history",
    "import_batch_get",
    "is_liaison_for",
    "liaison_quotas",
    "liaisons_of",
    "managed_programs",
    "my_enrollments",
    "nomination_get",
    "nominations_open",
    "open_programs_for",
    "policy_for",
    "program_quotas",
    "program_reviewers",
    "quota_candidates",
    "quota_get",
    "quota_nominees",
    "quotas_with_usage",
    "review_overview",
    "review_queue",
    "roster",
    "seats_free",
    "status_counts",
    "trainee_clashes",
    "withdrawal_get",
]
