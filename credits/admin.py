from django.contrib import admin

from credits.models import ApprovalPolicy, Conversion, Requirement


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
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


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = ["kind", "key", "unit", "effective_from", "value"]
    list_filter = ["kind"]
    raw_id_fields = ["unit"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    list_display = ["unit", "effective_from", "unit_review"]
    raw_id_fields = ["unit"]
