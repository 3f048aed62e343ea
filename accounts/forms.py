from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, Role, User


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "email_notifications", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # empty means the system default, not "nothing chosen yet"
        self.fields["language"].choices = [("", _("系统默认(简体中文)")), *settings.LANGUAGES]


class LecternPasswordResetForm(PasswordResetForm):
    """Django's reset form; the e-mail is written in the recipient's language."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        user = context.get("user")
        language = getattr(user, "preferred_language", None) or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


class RoleGrantForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    # typed as the unit's code: a select of every unit of a province would be thousands long
    unit = forms.ModelChoiceField(
        label=_("范围单位(编码)"),
        queryset=OrgUnit.objects.all(),
        to_field_name="code",
        widget=forms.TextInput,
        error_messages={"invalid_choice": _("没有这个单位编码。")},
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(_("没有这个用户名。"))
        self.user = user
        return username
