"""Plans models in the Django admin, bounded at province scale (core.admin_base.ScaleAdmin)."""

from django.contrib import admin

from core.admin_base import ScaleAdmin, scale_the_rest, scaled
from plans.models import BudgetLine, CostCap, LecturerFeeCap, PlanDeadline, PlanItem, TrainingPlan


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

scale_the_rest("plans")
