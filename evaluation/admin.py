"""Evaluation models in the Django admin, bounded at province scale (programs.admin.ScaleAdmin):
raw-id widgets for every relation, the shown relations joined, bounded counts and deletes."""

from django.apps import apps

from programs.admin import scaled

for _model in apps.get_app_config("evaluation").get_models():
    scaled(_model)
