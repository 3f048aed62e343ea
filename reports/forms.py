from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, Rank
from programs.models import Program
from reports.models import ReminderKind


class StatisticsFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    unit = forms.ModelChoiceField(
        label=_("单位(含下级)"),
        queryset=OrgUnit.objects.filter(depth__lte=2).order_by("path"),
        required=False,
        empty_label=_("全部单位"),
    )
    level = forms.ChoiceField(
        label=_("级别"), required=False, choices=[("", _("全部级别")), *Program.Level.choices]
    )
    rank = forms.ChoiceField(
        label=_("职级"), required=False, choices=[("", _("全部职级")), *Rank.choices]
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class PreferencesForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("接收以下提醒"),
        choices=ReminderKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
