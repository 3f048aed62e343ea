from decimal import Decimal

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.widgets import SearchPicker
from plans.models import MAX_AMOUNT, MAX_HEADCOUNT, ClassCategory, CostCategory, TrainingPlan
from plans.services import DECISIONS, ItemData


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def add_domain_error(form, err: DomainError) -> None:
    field = err.field if err.field in form.fields else None
    form.add_error(field, str(err))


class PlanForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("报送单位"),
        queryset=None,
        # a picker (plans:pick_units), not a select of every unit an admin may file for
        widget=SearchPicker(
            url=reverse_lazy("plans:pick_units"),
            texts={"placeholder": _("输入单位名称或编码搜索")},
        ),
    )
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=_("类型"), choices=TrainingPlan.Kind.choices)
    title = forms.CharField(label=_("名称"), max_length=120)
    note = forms.CharField(label=_("说明"), required=False, max_length=2000, widget=forms.Textarea)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if not self.is_bound:
            self.fields["year"].initial = timezone.localdate().year + 1


class ItemForm(forms.Form):
    title = forms.CharField(label=_("班次名称"), max_length=120)
    audience = forms.CharField(label=_("培训对象"), max_length=200)
    content = forms.CharField(label=_("主要内容"), max_length=2000, widget=forms.Textarea)
    class_category = forms.ChoiceField(
        label=_("培训类别"), choices=ClassCategory.choices, initial=ClassCategory.THIRD
    )
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput)
    end_date = forms.DateField(label=_("结束日期"), widget=DateInput)
    place = forms.CharField(label=_("培训地点"), max_length=120)
    headcount = forms.IntegerField(label=_("计划人数"), min_value=1, max_value=MAX_HEADCOUNT)
    over_cap_reason = forms.CharField(
        label=_("超标准说明"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("预算超过经费标准时必填。"),
    )

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in CostCategory.choices:
            self.fields[f"budget_{value}"] = forms.DecimalField(
                label=label,
                required=False,
                min_value=Decimal("0"),
                max_value=MAX_AMOUNT,
                decimal_places=2,
                max_digits=10,
            )
        if item is not None and not self.is_bound:
            for name in ItemData.__dataclass_fields__:
                self.fields[name].initial = getattr(item, name)
            for line in item.budget.all():
                self.fields[f"budget_{line.category}"].initial = line.amount

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        return data

    @property
    def budget_fields(self):
        return [self[f"budget_{v}"] for v in CostCategory.values]

    @property
    def main_fields(self):
        return [self[name] for name in ItemData.__dataclass_fields__]

    def item_data(self) -> ItemData:
        return ItemData(**{name: self.cleaned_data[name] for name in ItemData.__dataclass_fields__})

    def budget(self) -> dict:
        return {
            v: self.cleaned_data[f"budget_{v}"]
            for v in CostCategory.values
            if self.cleaned_data.get(f"budget_{v}") is not None
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结论"),
        choices=[("approve", _("备案")), ("return", _("退回修改")), ("reject", _("不予备案"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("审核意见"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision in DECISIONS and decision != "approve" and not data.get("comment", "").strip():
            self.add_error("comment", _("退回或不予备案时请填写审核意见。"))
        return data
