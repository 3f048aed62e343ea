"""Writes of the training record, one module per workflow: filing, deciding, editing and
revoking records (entries), the online college's import (online), the compliance rollup
(rollup), the record's files (exports) and the year-end reminders (reminders)."""

from credits.services.entries import (  # noqa: F401
    EVIDENCE_KINDS,
    EVIDENCE_MAX_BYTES,
    EntryData,
    entry_decide,
    entry_edit,
    entry_file,
    entry_revoke,
    policy_changed,
    profile_set,
    unit_review_required,
)
from credits.services.online import (  # noqa: F401
    online_import_commit,
    online_import_counts,
    online_import_preview,
)
from credits.services.rollup import (  # noqa: F401
    rollup_rebuild,
    rollup_refresh,
    rollup_refresh_changed,
)
