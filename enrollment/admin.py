"""Enrollment models in the Django admin, bounded at province scale (core.admin_base.ScaleAdmin)."""

from django.contrib import admin

from core.admin_base import ScaleAdmin, scale_the_rest, scaled
from enrollment.models import (
    DiscussionGroup,
    Enrollment,
    EnrollmentPolicy,
    ImportBatch,
    Quota,
    UnitAlias,
    WithdrawalRequest,
)


@admin.register(Enrollment)
class EnrollmentAdmin(ScaleAdmin):
    list_display = ["id", "user", "program", "unit", "status", "source"]
    list_filter = ["status", "source"]
    list_select_related = ["user", "program", "unit"]


scaled(EnrollmentPolicy, list_display=["id", "program"], list_select_related=["program"])
scaled(
    Quota,
    list_display=["id", "program", "unit", "seats"],
    list_select_related=["program", "unit"],
)
scaled(
    DiscussionGroup,
    list_display=["id", "name", "program", "leader"],
    list_select_related=["program", "leader"],
)
scaled(
    WithdrawalRequest,
    list_display=["id", "enrollment", "status", "requested_by"],
    list_select_related=["enrollment__user", "enrollment__program", "requested_by"],
)
scaled(
    ImportBatch,
    list_display=["id", "program", "filename", "status", "created_by"],
    list_select_related=["program", "created_by"],
)
scaled(
    UnitAlias, list_display=["id", "text", "scope", "unit"], list_select_related=["scope", "unit"]
)

scale_the_rest("enrollment")
