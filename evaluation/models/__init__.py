"""What the training produced, one module per workflow: reflections, course evaluations, live
scoring and call-on, completion and certificates, credit hours, follow-up commitments (DESIGN.md
§3 "evaluation"). Everything is re-exported here, so `from evaluation.models import X` and the
migrations keep working."""

from evaluation.models._common import (  # noqa: F401
    COMMENT_MAX,
    COMMITMENT_MAX,
    CRITERIA_MAX,
    MIN_CHARS_MAX,
    PRESENTERS_MAX,
    PROMPT_MAX,
    REFLECTION_MAX,
    SCORE_MAX,
    WEIGHT_MAX,
    _max_length,
)
from evaluation.models.completion import (  # noqa: F401
    Certificate,
    Completion,
)
from evaluation.models.credits import (  # noqa: F401
    DEFAULT_CREDIT_PERCENT,
    CreditPolicy,
)
from evaluation.models.evaluations import (  # noqa: F401
    INDICATORS,
    EvaluationAnswer,
    EvaluationReceipt,
    Rating,
)
from evaluation.models.followup import (  # noqa: F401
    Commitment,
    CommitmentUpdate,
)
from evaluation.models.reflections import (  # noqa: F401
    Grade,
    Reflection,
    ReflectionAssignment,
    SimilarityFlag,
    reflection_upload_to,
)
from evaluation.models.scoring import (  # noqa: F401
    CallOnPick,
    Judge,
    Presenter,
    ScoreSheet,
    ScoringCriterion,
    ScoringRound,
)
