"""Reports models (reminders, rollups, cubes) in the Django admin, bounded at province scale
(programs.admin.ScaleAdmin): raw-id widgets, the shown relations joined, bounded counts."""

from django.apps import apps

from programs.admin import scaled

for _model in apps.get_app_config("reports").get_models():
    scaled(_model)
