"""Reads for evaluation: access checks, review lists, aggregates, rankings, credit hours.

Every function that takes user input returns 404 outside the user's scope (programs.access).

One module per workflow; every public name is re-exported here, so
`from evaluation.selectors import x` and `selectors.x` keep working."""

from evaluation.selectors._common import (  # noqa: F401
    MIN_ANSWERS,
    TWO,
    _get,
    _require,
    enrolled_users,
    is_enrolled,
)
from evaluation.selectors.callon import (  # noqa: F401
    callon_candidates,
    callon_history,
    callon_remaining,
)
from evaluation.selectors.completion import (  # noqa: F401
    _SERIAL,
    CompletionRow,
    certificate_by_serial,
    certificate_get,
    certificate_of,
    certificates_to_revoke,
    completion_assess,
    completions_of_non_trainees,
    masked_name,
    my_certificates,
    serial_from_input,
)
from evaluation.selectors.credits import (  # noqa: F401
    credit_overview,
    credit_record,
    earned_hours,
    earned_hours_by_user,
    program_credit_hours,
    required_hours_by_rank,
)
from evaluation.selectors.dashboards import (  # noqa: F401
    managed_programs,
    program_dashboard_counts,
)
from evaluation.selectors.evaluations import (  # noqa: F401
    IndicatorSummary,
    _aggregate_kwargs,
    _session_rollup,
    _summaries,
    _with_rates,
    attended,
    lecturer_evaluation_rows,
    pending_evaluators,
    program_evaluation_rows,
    session_evaluation_summary,
    session_results_get,
    sessions_to_evaluate,
)
from evaluation.selectors.followup import (  # noqa: F401
    STALE_DAYS,
    commitment_get_for_owner,
    commitments_of,
    completed_programs_of,
    followup_rows,
    round_sheets_for_export,
)
from evaluation.selectors.reflections import (  # noqa: F401
    REVIEW_PAGE_SIZE,
    ReviewRow,
    assignment_get,
    assignment_get_for_trainee,
    assignment_review_counts,
    assignment_review_page,
    excellent_reflections,
    reflection_get_for_review,
    reflection_of,
    reflection_with_attachment_get,
    reflections_to_review,
    similarity_flags_for,
    trainee_assignments,
)
from evaluation.selectors.scoring import (  # noqa: F401
    RankingRow,
    judge_get,
    judge_presenters,
    judge_progress,
    round_get,
    round_ranking,
)
