from django.contrib import admin

from plans.models import CostCap, LecturerFeeCap, PlanDeadline


@admin.register(CostCap)
class CostCapAdmin(admin.ModelAdmin):
    list_display = ["class_category", "unit", "effective_from", "per_person_day"]
    list_filter = ["class_category"]
    raw_id_fields = ["unit"]


@admin.register(LecturerFeeCap)
class LecturerFeeCapAdmin(admin.ModelAdmin):
    list_display = ["title_level", "unit", "effective_from", "per_hour"]
    raw_id_fields = ["unit"]


@admin.register(PlanDeadline)
class PlanDeadlineAdmin(admin.ModelAdmin):
    list_display = ["year", "unit", "submit_by"]
    raw_id_fields = ["unit"]
