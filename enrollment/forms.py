from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgUnit, User
from enrollment.models import EnrollmentPolicy


class PolicyForm(forms.ModelForm):
    class Meta:
        model = EnrollmentPolicy
        fields = [
            "applications_open",
            "application_deadline",
            "application_seats",
            "waitlist_enabled",
            "nomination_deadline",
        ]
        widgets = {
            "application_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "nomination_deadline": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


class QuotaForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("单位"), queryset=OrgUnit.objects.none(), empty_label=_("请选择单位")
    )
    seats = forms.IntegerField(label=_("名额"), min_value=0, max_value=10000)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApplyForm(forms.Form):
    note = forms.CharField(
        label=_("报名说明(选填)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PersonChoiceForm(forms.Form):
    """A cadre picked from the candidates list; the service checks unit and quota."""

    user = forms.ModelChoiceField(label=_("人员"), queryset=User.objects.select_related("unit"))
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("名册文件(.xlsx)"))


class ImportConfirmForm(forms.Form):
    create_missing = forms.BooleanField(label=_("为系统中没有的人员创建账号"), required=False)
    preview_hash = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ImportUnitForm(forms.Form):
    """Which unit an unknown unit text of the roster means (the unit is checked by the service)."""

    text = forms.CharField(max_length=120)
    unit = forms.IntegerField(label=_("对应单位"))


class ImportRowForm(forms.Form):
    """One preview row's cells, corrected by hand; cleaned as if read from the file."""

    name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    unit = forms.CharField(label=_("单位"), max_length=120, required=False)
    position = forms.CharField(label=_("职务"), max_length=120, required=False)
    rank_text = forms.CharField(label=_("职级"), max_length=30, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=30, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)
    gender = forms.CharField(label=_("性别"), max_length=10, required=False)
    staff_number = forms.CharField(label=_("工号"), max_length=40, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class GroupGenerateForm(forms.Form):
    count = forms.IntegerField(label=_("分组数"), min_value=1, max_value=50, initial=6)
    rooms = forms.CharField(
        label=_("研讨室(每行一个,按组顺序)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def room_list(self):
        return [r.strip() for r in self.cleaned_data.get("rooms", "").splitlines() if r.strip()]


class GroupEditForm(forms.Form):
    name = forms.CharField(label=_("组名"), max_length=60)
    room = forms.CharField(label=_("研讨室"), max_length=120, required=False)
    leader = forms.ModelChoiceField(label=_("组长"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        if group is not None:
            self.fields["leader"].queryset = User.objects.filter(
                enrollments__group=group, enrollments__status="enrolled"
            )


class GroupMoveForm(forms.Form):
    enrollment = forms.IntegerField()
    group = forms.IntegerField(required=False)
