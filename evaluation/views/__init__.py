"""None

One module per workflow; every public name is re-exported here, so
`from evaluation.views import x` and `views.x` keep working."""

from evaluation.views._common import (  # noqa: F401
    PAGE_SIZE,
    _form_error,
    _start_file,
)
from evaluation.views.callon import (  # noqa: F401
    callon,
    callon_pick,
)
from evaluation.views.completion import (  # noqa: F401
    VERIFY_LIMIT,
    VERIFY_WINDOW,
    _too_many,
    _verify_allowed,
    certificate_pdf,
    completion,
    completion_confirm,
    verify,
    verify_form,
)
from evaluation.views.credits import (  # noqa: F401
    _year,
    credit_policy,
    credit_requirements,
    credits_mine,
    credits_overview,
)
from evaluation.views.evaluations import (  # noqa: F401
    evaluate,
    evaluation_remind,
    lecturer_results,
    program_results,
    session_results,
)
from evaluation.views.followup import (  # noqa: F401
    commitment_create,
    commitment_progress,
    followup_mine,
    followup_program,
    followup_remind,
)
from evaluation.views.home import (  # noqa: F401
    index,
    program,
)
from evaluation.views.reflections import (  # noqa: F401
    assignment_create,
    assignment_detail,
    assignment_edit,
    collection_pdf,
    reflection_attachment,
    reflection_autosave,
    reflection_review,
    reflection_submit,
    reflection_write,
    review_queue,
)
from evaluation.views.scoring import (  # noqa: F401
    _judge_candidates,
    judge_home,
    judge_score,
    round_board,
    round_create,
    round_detail,
    round_export,
    round_lock,
)
