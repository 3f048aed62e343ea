"""Plans models in the Django admin, bounded at province scale (programs.admin.ScaleAdmin)."""

from django.contrib import admin

from plans.models import BudgetLine, CostCap, LecturerFeeCap, PlanDeadline, PlanItem, TrainingPlan
from programs.admin import ScaleAdmin, scaled


@admin.register(CostCap)
class CostCapAdmin(ScaleAdmin):
    list_display = ["class_category", "unit", "effective_from", "per_person_day"]
    list_filter = ["class_category"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


@admin.register(LecturerFeeCap)
class LecturerFeeCapAdmin(ScaleAdmin):
    list_display = ["title_level", "unit", "effective_from", "per_hour"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


@admin.register(PlanDeadline)
class PlanDeadlineAdmin(ScaleAdmin):
    list_display = ["year", "unit", "submit_by"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit"]


scaled(TrainingPlan)
scaled(PlanItem)
scaled(BudgetLine)
