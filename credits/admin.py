"""The policy rows as the organization department edits them. Every change is audited (a change
with an effective date in the past takes effect at once: the record and the promotion check compute
from the rows on every read, and credits.services.policy_changed recomputes the compliance rollup
and audits that)."""

from django.contrib import admin
from django.forms.models import model_to_dict

from core.admin_base import ScaleAdmin, scale_the_rest
from core.services import audit_log
from credits.models import ApprovalPolicy, Conversion, Requirement
from credits.services import policy_changed


def _snapshot(obj) -> dict:
    return {k: str(v) for k, v in model_to_dict(obj).items()}


class AuditedPolicyAdmin(ScaleAdmin):
    raw_id_fields = ["unit"]

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk:
            before = _snapshot(type(obj).objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)
        action = f"credits.policy.{obj._meta.model_name}.{'change' if change else 'add'}"
        audit_log(
            actor=request.user, action=action, target=obj, before=before, after=_snapshot(obj)
        )
        policy_changed(row=obj, by=request.user, change="change" if change else "add")

    def delete_model(self, request, obj):
        audit_log(
            actor=request.user,
            action=f"credits.policy.{obj._meta.model_name}.delete",
            target=obj,
            before=_snapshot(obj),
        )
        super().delete_model(request, obj)
        policy_changed(row=obj, by=request.user, change="delete")


@admin.register(Requirement)
class RequirementAdmin(AuditedPolicyAdmin):
    list_display = [
        "rank",
        "unit",
        "effective_from",
        "annual_hours",
        "five_year_hours",
        "online_hours",
    ]
    list_filter = ["rank"]


@admin.register(Conversion)
class ConversionAdmin(AuditedPolicyAdmin):
    list_display = ["kind", "key", "unit", "effective_from", "value"]
    list_filter = ["kind"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(AuditedPolicyAdmin):
    list_display = ["unit", "effective_from", "unit_review"]


scale_the_rest("credits")
