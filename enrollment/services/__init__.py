"""Every enrollment write, one module per workflow (pretix's base/services is the model):

- quotas: unit quotas and the enrollment policy;
- nominations: named nominations by liaisons, confirmed or sent back;
- applications: self-application and the waitlist;
- withdrawals: 退训 requests and decisions;
- groups: discussion groups;
- notices: nomination notices (调训通知), receipts and reminders;
- substitutions: substitution requests after the reply deadline, decided by the host;
- reconciliation: who was named against who attended (核对), decisions, closing;
- imports: roster import (preview, unit aliases, inline edits, confirm, purge);
- _base: locks, the closed-program check, status bookkeeping shared by all of them.

The public names are re-exported here: `from enrollment import services` keeps working.
"""

from enrollment.services._base import (
    application_room,
)
from enrollment.services.applications import (
    PROMOTABLE_STATUSES,
    application_approve,
    application_create,
    application_reject,
    waitlist_promote,
)
from enrollment.services.groups import (
    RANK_ORDER,
    balance_into_groups,
    group_move,
    group_update,
    groups_generate,
)
from enrollment.services.imports import (
    IMPORT_DETAIL_DAYS,
    IMPORT_PREVIEW_DAYS,
    StalePreview,
    import_batches_purge,
    import_cancel,
    import_commit,
    import_counts,
    import_preview_create,
    import_row_edit,
    import_unit_resolve,
    preview_digest,
)
from enrollment.services.nominations import (
    nomination_confirm,
    nomination_create,
    nomination_send_back,
    nomination_substitute,
)
from enrollment.services.quotas import (
    policy_update,
    quota_set,
)
from enrollment.services.reconciliation import (
    reconciliation_close,
    reconciliation_decide,
    reconciliation_reopen,
)
from enrollment.services.substitutions import (
    substitution_approve,
    substitution_refuse,
    substitution_request,
)
from enrollment.services.withdrawals import (
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
)

__all__ = [
    "IMPORT_DETAIL_DAYS",
    "IMPORT_PREVIEW_DAYS",
    "PROMOTABLE_STATUSES",
    "RANK_ORDER",
    "StalePreview",
    "application_approve",
    "application_create",
    "application_reject",
    "application_room",
    "balance_into_groups",
    "group_move",
    "group_update",
    "groups_generate",
    "import_batches_purge",
    "import_cancel",
    "import_commit",
    "import_counts",
    "import_preview_create",
    "import_row_edit",
    "import_unit_resolve",
    "nomination_confirm",
    "nomination_create",
    "nomination_send_back",
    "nomination_substitute",
    "policy_update",
    "preview_digest",
    "quota_set",
    "reconciliation_close",
    "reconciliation_decide",
    "reconciliation_reopen",
    "substitution_approve",
    "substitution_refuse",
    "substitution_request",
    "waitlist_promote",
    "withdrawal_approve",
    "withdrawal_reject",
    "withdrawal_request",
]
