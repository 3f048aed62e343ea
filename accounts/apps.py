from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("账户与组织")

    def ready(self):
        # Every select's empty choice, once for the whole site (model fields, form fields, the
        # admin's filters): Django 6.1's own "- Select an option -" has no Chinese translation,
        # so Chinese pages showed English. Django documents overwriting it in an app's ready().
        from django.db.models import fields

        fields.BLANK_CHOICE_LABEL = _("请选择")

        from accounts import signals

        signals.connect()
