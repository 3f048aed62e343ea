"""Evaluation models in the Django admin, bounded at province scale (core.admin_base.ScaleAdmin):
raw-id widgets for every relation, the shown relations joined, bounded counts and deletes."""

from core.admin_base import scale_the_rest

scale_the_rest("evaluation")
