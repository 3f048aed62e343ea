"""Every write of the evaluation app. Expected failures raise DomainError with a message the
user reads; nothing is half-written (each service is one transaction).

One module per workflow; every public name is re-exported here, so
`from evaluation.services import x` and `services.x` keep working."""

from evaluation.services._common import (  # noqa: F401
    _bounded,
    _decimal_or_none,
    _ensure_open,
)
from evaluation.services.callon import (  # noqa: F401
    callon_pick,
)
from evaluation.services.completion import (  # noqa: F401
    COMPLETION_FIELDS,
    REVOCATION_FIELDS,
    _audit_many,
    _issue_certificates,
    _serial,
    certificate_filename,
    certificate_pdf,
    certificate_qr_svg,
    certificate_refusal,
    certificate_verify_url,
    completion_confirm,
)
from evaluation.services.credits import (  # noqa: F401
    credit_policy_set,
)
from evaluation.services.evaluations import (  # noqa: F401
    _store_among_the_sessions_answers,
    evaluation_remind,
    evaluation_submit,
)
from evaluation.services.followup import (  # noqa: F401
    commitment_create,
    commitment_progress,
    followup_remind,
)
from evaluation.services.reflections import (  # noqa: F401
    ATTACHMENT_KINDS,
    ATTACHMENT_MAX_BYTES,
    _check_attachment,
    _clean_types,
    _lock_own_reflection,
    assignment_create,
    assignment_update,
    reflection_attachment_filename,
    reflection_collection_filename,
    reflection_collection_pdf,
    reflection_return,
    reflection_review,
    reflection_save_draft,
    reflection_similarity_refresh,
    reflection_submit,
)
from evaluation.services.scoring import (  # noqa: F401
    parse_lines,
    round_create,
    round_export_filename,
    round_export_xlsx,
    round_lock,
    score_submit,
    weighted_total,
)
