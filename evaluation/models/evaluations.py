"""Course evaluation (满意度测评): anonymous answers and the receipts that keep them anonymous."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from evaluation.models._common import COMMENT_MAX, _max_length
from programs.models import Session


class Rating(models.IntegerChoices):
    SATISFIED = 4, _("满意")
    FAIRLY = 3, _("较满意")
    NEUTRAL = 2, _("一般")
    DISSATISFIED = 1, _("不满意")


INDICATORS = (
    ("content", _("课程内容")),
    ("delivery", _("授课水平")),
    ("relevance", _("联系工作实际")),
    ("overall", _("总体评价")),
)


class EvaluationAnswer(models.Model):
    """One anonymous answer. Deliberately NOT a BaseModel: no user, no timestamp, a random
    (UUID) primary key. What is and is not true about linking it to its author:

    - No column or relation leads from an answer to a person; the receipt (who answered, on
      which day) has no link to the answer.
    - Every submission deletes and re-inserts all of the session's answers, ordered by their
      random ids, in the receipt's transaction (services.evaluation_submit). So on PostgreSQL
      all live answers of a session share one xmin, that of the latest submission, and their
      physical order (ctid) follows the random ids, not the order of answering; ordering by id
      (the default here) is random too.
    - Not covered: the latest submitter's receipt shares that xmin, which says only that their
      answer is among the session's; someone who reads the results before and after one more
      answer learns that answer from the difference (MIN_ANSWERS in selectors limits what is
      shown, not this); superseded row versions (until VACUUM), the write-ahead log and any
      statement logging still hold the history, so against a database superuser anonymity
      rests on how the server is run, not on this schema."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="evaluation_answers", verbose_name=_("课程")
    )
    content = models.PositiveSmallIntegerField(_("课程内容"), choices=Rating.choices)
    delivery = models.PositiveSmallIntegerField(_("授课水平"), choices=Rating.choices)
    relevance = models.PositiveSmallIntegerField(_("联系工作实际"), choices=Rating.choices)
    overall = models.PositiveSmallIntegerField(_("总体评价"), choices=Rating.choices)
    comment = models.TextField(_("意见建议"), blank=True, max_length=COMMENT_MAX)

    class Meta:
        verbose_name = _("评教答卷")
        verbose_name_plural = _("评教答卷")
        # Ordered by the random id, never by insertion.
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content__gte=1, content__lte=4)
                & Q(delivery__gte=1, delivery__lte=4)
                & Q(relevance__gte=1, relevance__lte=4)
                & Q(overall__gte=1, overall__lte=4),
                name="evaluationanswer_ratings_in_range",
            ),
            _max_length("comment", COMMENT_MAX, "evaluationanswer_comment_length"),
        ]

    def __str__(self):
        return f"{self.session_id} · {self.overall}"


class EvaluationReceipt(models.Model):
    """Who has evaluated a session (for completion and reminders), with no link to the answer.
    Only the day is kept. Receipt ids are sequential (they order the answerers), which is
    harmless because answers carry no order of their own (see EvaluationAnswer)."""

    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="evaluation_receipts",
        verbose_name=_("课程"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="evaluation_receipts",
        verbose_name=_("人员"),
    )
    answered_on = models.DateField(_("评价日期"))

    class Meta:
        verbose_name = _("评教回执")
        verbose_name_plural = _("评教回执")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="evaluationreceipt_unique")
        ]

    def __str__(self):
        return f"{self.session_id} · {self.user_id}"
