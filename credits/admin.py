"""Credits models in the Django admin, bounded at province scale (programs.admin.ScaleAdmin)."""

from django.contrib import admin

from credits.models import ApprovalPolicy, Conversion, CreditEntry, Requirement
from programs.admin import ScaleAdmin, scaled


@admin.register(Requirement)
class RequirementAdmin(ScaleAdmin):
    list_display = [
        "rank",
        "unit",
        "effective_from",
        "annual_hours",
        "five_year_hours",
        "online_hours",
    ]
    list_filter = ["rank"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


@admin.register(Conversion)
class ConversionAdmin(ScaleAdmin):
    list_display = ["kind", "key", "unit", "effective_from", "value"]
    list_filter = ["kind"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(ScaleAdmin):
    list_display = ["unit", "effective_from", "unit_review"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


scaled(CreditEntry)
