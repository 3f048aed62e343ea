from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("核心")

    def ready(self):
        from django.db.backends.signals import connection_created

        from core import audit

        _register_remaining_models_in_admin()
        # the audit table's database guard (core.audit): SQLite's trigger function, and flush
        connection_created.connect(audit.register_sqlite_guard, dispatch_uid="lectern-audit-guard")
        audit.allow_flush()


def _register_remaining_models_in_admin():
    """Every Lectern model appears in the Django admin. Apps register richer ModelAdmins in their
    own admin.py (autodiscovered before this runs, since django.contrib.admin is listed first);
    any model they leave out gets a bounded one (core.admin_base.ScaleAdmin: raw-id relations,
    no full-table count, bounded deletes) with its first columns listed."""
    from django.apps import apps
    from django.conf import settings
    from django.contrib import admin

    from core.admin_base import HIDDEN, scaled

    for model in apps.get_models():
        if model._meta.app_label not in settings.LECTERN_APPS or model in admin.site._registry:
            continue
        if model in HIDDEN:
            continue
        scaled(model)
