"""Random call-on (现场点名) among the trainees checked in to a session."""

import random

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from evaluation import selectors
from evaluation.models import (
    CallOnPick,
)


@transaction.atomic
def callon_pick(*, session, by, rng: random.Random | None = None) -> CallOnPick:
    """Pick one trainee at random among those checked in and not yet called in this session.
    Someone who has spoken n times in the program has weight 1 / (n + 1)², so those who have
    not spoken are much more likely to be called."""
    candidates = selectors.callon_candidates(session=session)
    if not candidates:
        raise DomainError(_("没有可点名的学员:签到的学员都已被点过名,或尚无人签到。"))
    rng = rng or random.SystemRandom()
    weights = [1 / (n + 1) ** 2 for _u, n in candidates]
    user, _n = rng.choices(candidates, weights=weights, k=1)[0]
    pick = CallOnPick.objects.create(
        session=session, program_id=session.program_id, user=user, picked_by=by
    )
    audit_log(actor=by, action="callon.pick", target=pick, after={"user": user.pk})
    return pick
