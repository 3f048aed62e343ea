"""Reports models (reminders, rollups, cubes) in the Django admin, bounded at province scale
(core.admin_base.ScaleAdmin): raw-id widgets, the shown relations joined, bounded counts."""

from core.admin_base import scale_the_rest

scale_the_rest("reports")
