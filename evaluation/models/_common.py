"""Bounds shared by the models of every evaluation workflow."""

from decimal import Decimal

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# --- Bounds of free text (characters) and numbers --------------------------------------------
# Each fits its purpose with room to spare; forms refuse more and the database checks it too.
PROMPT_MAX = 5000  # a writing task's instructions
REFLECTION_MAX = 30000  # an essay: min_chars is at most 20000 Chinese characters
COMMENT_MAX = 2000  # review comments, evaluation comments, revocation reasons
COMMITMENT_MAX = 2000  # a commitment's measures, one progress note
MIN_CHARS_MAX = 20000
CRITERIA_MAX = 20  # criteria in one scoring round
PRESENTERS_MAX = 200  # presenters in one scoring round
SCORE_MAX = Decimal("1000")  # the highest a criterion's range may reach
WEIGHT_MAX = Decimal("100")


def _max_length(field: str, limit: int, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=name)
