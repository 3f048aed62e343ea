"""Evaluation models in the Django admin, bounded at province scale (attendance.admin_base.ScaleAdmin):
raw-id widgets for every relation, the shown relations joined, bounded counts and deletes."""

from attendance.admin_base import scale_the_rest

scale_the_rest("evaluation")
