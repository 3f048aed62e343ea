"""Credit hours (学时): the per-program policy (what each attendance status earns). The yearly
requirements are credits' policy data."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.services import audit_log
from evaluation.models import CreditPolicy
from evaluation.services._common import _ensure_open


@transaction.atomic
def credit_policy_set(*, program, by, **percents) -> CreditPolicy:
    for k, v in percents.items():
        if not isinstance(v, int) or not 0 <= v <= 100:
            raise DomainError(_("比例须在 0 到 100 之间。"), field=k)
    _ensure_open(program.pk)
    policy, _created = CreditPolicy.objects.get_or_create(program=program)
    before = {k: getattr(policy, k) for k in percents}
    for k, v in percents.items():
        setattr(policy, k, v)
    policy.save(update_fields=[*percents, "updated_at"])
    audit_log(actor=by, action="credit_policy.set", target=program, before=before, after=percents)
    return policy
