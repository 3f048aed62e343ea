"""Course evaluation (满意度测评): anonymous answers, receipts, results with the anonymity threshold,
reminders."""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.services import notify_many
from evaluation import selectors
from evaluation.models import (
    COMMENT_MAX,
    INDICATORS,
    EvaluationAnswer,
    EvaluationReceipt,
    Rating,
)
from evaluation.services._common import _bounded
from programs.models import Session


@transaction.atomic
def evaluation_submit(*, session, user, ratings: dict, comment: str = "") -> None:
    """Record one anonymous answer and, separately, the receipt that `user` has answered.

    Only trainees who attended may answer, once. The answer row has no user, no timestamp and a
    random key; the receipt keeps only the day. So that neither the transaction id (xmin) nor the
    physical order of rows ties the new answer to this receipt, the session's answers are
    rewritten together (see _store_among_the_sessions_answers)."""
    if session.end > timezone.now():
        raise DomainError(_("课程结束后才能评价。"))
    if not selectors.attended(user=user, session=session):
        raise DomainError(_("您没有参加这次课程的签到记录,不能评价。"))
    values = {}
    for name, label in INDICATORS:
        try:
            value = int(ratings.get(name, 0))
        except (TypeError, ValueError):
            value = 0
        if value not in Rating.values:
            raise DomainError(_("请为“%(label)s”选择评价。") % {"label": label}, field=name)
        values[name] = value
    comment = _bounded(comment, limit=COMMENT_MAX, field="comment", label=_("意见建议"))
    # One submission per session at a time, so the rewrite below never loses a concurrent answer.
    # NO KEY UPDATE: check-ins and other rows that merely reference the session are not held up.
    list(Session.objects.select_for_update(no_key=True).filter(pk=session.pk).values_list("pk"))
    try:
        with transaction.atomic():
            EvaluationReceipt.objects.create(
                session=session, user=user, answered_on=timezone.localdate()
            )
    except IntegrityError:
        raise DomainError(_("您已评价过这次课程。")) from None
    _store_among_the_sessions_answers(
        session=session,
        answer=EvaluationAnswer(session=session, comment=comment, **values),
    )


def _store_among_the_sessions_answers(*, session, answer) -> None:
    """Delete the session's answers and insert them again with the new one, ordered by their
    random ids, in this (the receipt's) transaction. Afterwards every live answer of the session
    carries this transaction's xmin, and their physical order follows the random ids rather than
    the order of answering. Three statements; the rows rewritten are one class's answers."""
    answers = list(EvaluationAnswer.objects.filter(session=session))
    EvaluationAnswer.objects.filter(session=session).delete()
    EvaluationAnswer.objects.bulk_create(sorted([*answers, answer], key=lambda a: a.id))


def evaluation_remind(*, session, by) -> int:
    """Remind attendees who have not evaluated the session yet. Returns how many."""
    users = list(selectors.pending_evaluators(session=session))
    if users:
        notify_many(
            users=users,
            kind="evaluation_reminder",
            title=gettext_lazy("请对课程“%(topic)s”进行满意度评价"),
            params={"topic": session.topic},
            url=reverse("evaluation:evaluate", args=[session.pk]),
        )
    return len(users)
