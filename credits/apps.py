from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "credits"
    verbose_name = _("培训学时")

    def ready(self):
        # Evaluation asks the yearly requirement of a rank through its hook (it may not import
        # credits, which keeps the requirement as policy data).
        from credits.rules import yearly_requirements
        from evaluation import hooks

        hooks.register(yearly_requirements=yearly_requirements)
