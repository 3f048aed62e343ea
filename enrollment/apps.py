from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrollment"
    verbose_name = _("报名与调训")

    def ready(self):
        # What programs needs to know from the roster, offered without programs importing us.
        from enrollment import selectors, services
        from programs import hooks

        hooks.register(
            trainees=selectors.enrolled_users,
            enrolled_count=selectors.enrolled_count,
            capacity_raised=lambda program: services.waitlist_promote(program=program),
            trainee_clashes=selectors.trainee_clashes,
        )
