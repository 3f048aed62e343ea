class DomainError(Exception):
    """An expected failure with a message meant for the user (translated at raise time).

    Views turn it into a form error or a message, never a 500.
    """

    def __init__(self, message, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self):
        return str(self.message)


def self_decision_guard(*, subject, by) -> None:
    """Refuse a decision whose subject is the person deciding it: their own leave request,
    application or enrolment, grade or manual attendance mark.

    `subject` is the person concerned (a user), or a record that names them by `user_id`."""
    from django.contrib.auth import get_user_model
    from django.utils.translation import gettext as _

    if subject is None or by is None or by.pk is None:
        return
    subject_id = subject.pk if isinstance(subject, get_user_model()) else subject.user_id
    if subject_id == by.pk:
        raise DomainError(_("不能处理与本人有关的事项:请由其他负责人办理。"), code="self_decision")
