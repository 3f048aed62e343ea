from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "email_notifications", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # empty means the system default, not "nothing chosen yet"
        self.fields["language"].choices = [("", _("系统默认(简体中文)")), *settings.LANGUAGES]
