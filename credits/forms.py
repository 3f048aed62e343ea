from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from core.widgets import SearchPicker
from credits.models import FILED_KINDS, MAX_ENTRY_HOURS, Category, Mode, PaperLevel, SourceKind
from credits.services import EntryData


def add_domain_error(form, err) -> None:
    field = err.field if err.field in form.fields else None
    form.add_error(field, str(err))


class EntryForm(forms.Form):
    cadre = forms.ModelChoiceField(label=_("干部"), queryset=None)
    kind = forms.ChoiceField(
        label=_("来源"), choices=[(k.value, k.label) for k in SourceKind if k in FILED_KINDS]
    )
    title = forms.CharField(label=_("名称"), max_length=200)
    organizer_name = forms.CharField(label=_("举办单位"), max_length=120, required=False)
    start_date = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    mode = forms.ChoiceField(label=_("方式"), choices=Mode.choices)
    hours = forms.DecimalField(
        label=_("学时"),
        required=False,
        min_value=0,
        max_value=MAX_ENTRY_HOURS,
        max_digits=5,
        decimal_places=1,
        help_text=_("留空则按折算规则由下列天数、时长或论文级别计算。"),
    )
    days = forms.DecimalField(
        label=_("脱产天数"), required=False, min_value=0, max_value=366, decimal_places=1
    )
    half_days = forms.IntegerField(
        label=_("半天讲座次数"), required=False, min_value=0, max_value=400
    )
    minutes = forms.IntegerField(
        label=_("网络课程时长(分钟)"), required=False, min_value=0, max_value=100000
    )
    taught_hours = forms.DecimalField(
        label=_("授课课时"), required=False, min_value=0, max_value=500, decimal_places=1
    )
    paper_level = forms.ChoiceField(
        label=_("论文级别"), required=False, choices=[("", "—"), *PaperLevel.choices]
    )
    evidence = forms.FileField(
        label=_("证明材料"), required=False, help_text=_("结业证书、通知等,PDF 或图片。")
    )
    evidence_link = forms.URLField(label=_("证明链接"), required=False, max_length=500)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = people.select_related("unit").order_by("full_name", "id")
        self.fields["cadre"].label_from_instance = lambda u: (
            f"{u.full_name}({u.unit.name})" if u.unit_id else u.full_name
        )

    def entry_data(self) -> EntryData:
        d = self.cleaned_data
        return EntryData(
            kind=d["kind"],
            title=d["title"],
            organizer_name=d["organizer_name"],
            start_date=d["start_date"],
            end_date=d["end_date"],
            category=d["category"],
            mode=d["mode"],
            hours=d["hours"],
            days=d["days"],
            half_days=d["half_days"],
            minutes=d["minutes"],
            taught_hours=d["taught_hours"],
            paper_level=d["paper_level"],
            evidence_link=d["evidence_link"],
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核意见"),
        choices=[("approve", _("通过")), ("reject", _("退回"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("说明"), required=False, max_length=500, widget=forms.TextInput()
    )


class ComplianceFilter(forms.Form):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=None,
        required=False,
        # a searchable picker: a province has too many units for a <select> on every page
        widget=SearchPicker(
            url=reverse_lazy("credits:pick_units"),
            texts={"placeholder": _("输入单位名称或编码搜索"), "none": _("全部单位")},
        ),
    )
    rank = forms.ChoiceField(label=_("职级"), required=False)
    which = forms.ChoiceField(
        label=_("未达要求"),
        required=False,
        choices=[
            ("", _("任一项")),
            ("annual", _("年度学时")),
            ("window", _("五年累计")),
            ("online", _("网络学习")),
            ("catch_up", _("提拔后补训逾期")),
        ],
    )
    all = forms.BooleanField(label=_("含已达标"), required=False)

    def __init__(self, *args, units, ranks, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in sorted(years, reverse=True)]
        self.fields["unit"].queryset = units
        self.fields["rank"].choices = [("", _("全部")), *ranks]


class ChangeForm(forms.Form):
    """The reason for editing or revoking an approved record."""

    reason = forms.CharField(label=_("原因"), max_length=500, widget=forms.TextInput())


class ProfileForm(forms.Form):
    rank_appointed_on = forms.DateField(
        label=_("任现职级时间"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("网络学院导出文件"),
        help_text=_("Excel(.xlsx)或 CSV:姓名、身份证号或手机号码、课程名称、学时、完成日期。"),
    )
