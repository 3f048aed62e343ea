"""The programs app's forms: program, session, series, venue, lecturer, cost and change forms.

Over 500 lines because it is one layer of one workflow family (what an organizer types to
schedule a class), each form a few dozen lines of bounds and cross-field checks that belong next
to its fields; the series form's field order is derived from programs.models."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Rank, User
from core.errors import DomainError
from core.widgets import SearchPicker
from plans.models import MAX_AMOUNT, CostCategory, PlanItem
from programs.models import (
    ATTENDANCE_POLICY_FIELDS,
    COMPLETION_POLICY_FIELDS,
    SESSION_HOURS_MAX,
    Lecturer,
    Program,
    Session,
    Venue,
)
from programs.recurrence import at_local, parse_dates
from programs.services import EDIT_FIELDS, PROGRAM_FIELDS

WEEKDAYS = [
    (0, _("周一")),
    (1, _("周二")),
    (2, _("周三")),
    (3, _("周四")),
    (4, _("周五")),
    (5, _("周六")),
    (6, _("周日")),
]


class DateInput(forms.DateInput):
    """A native date picker; it only accepts ISO values, whatever the active locale's format."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


# The pickers' words, here so that programs' catalogue translates them (core has none).
PICKER_TEXTS = {
    "none": _("未选择"),
    "clear": _("清除"),
    "empty": _("没有匹配的项"),
    "more": _("只显示前 %(n)s 项,请输入更多字缩小范围"),
    "error": _("搜索失败,请重试"),
    "id": _("编号"),
}


def unit_picker() -> SearchPicker:
    """A unit among those the user may choose (programs:pick_units): no list of every unit."""
    return SearchPicker(
        url=reverse_lazy("programs:pick_units"),
        texts={**PICKER_TEXTS, "placeholder": _("输入单位名称或编码搜索")},
    )


def plan_item_picker() -> SearchPicker:
    """An approved plan item in the user's scope (programs:pick_plan_items)."""
    return SearchPicker(
        url=reverse_lazy("programs:pick_plan_items"),
        texts={**PICKER_TEXTS, "placeholder": _("输入班次名称或单位搜索")},
    )


class AreaFilterForm(forms.Form):
    """The plan execution page's unit filter (GET ?unit=): a jurisdiction the user organizes."""

    unit = forms.ModelChoiceField(
        label=_("单位"),
        queryset=None,
        required=False,
        widget=SearchPicker(
            url=format_lazy("{}?area=1", reverse_lazy("programs:pick_units")),
            texts={
                **PICKER_TEXTS,
                "placeholder": _("输入单位名称或编码搜索"),
                "none": _("全部管辖范围"),
            },
        ),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


def plan_item_label(item: PlanItem) -> str:
    return _("%(year)s年 %(unit)s:%(title)s") % {
        "year": item.plan.year,
        "unit": item.plan.unit.name,
        "title": item.title,
    }


def add_domain_error(form, err: DomainError) -> None:
    """Show a service's error on the field it names, or on the whole form."""
    field = err.field if err.field in form.fields else None
    form.add_error(field, err.message)


class ProgramForm(forms.ModelForm):
    target_ranks = forms.MultipleChoiceField(
        label=_("培训对象职级"),
        choices=Rank.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    new_family_name = forms.CharField(
        label=_("或新建项目系列"),
        required=False,
        max_length=120,
        help_text=_("如“局长讲堂”;填写后本项目为该系列的一期。"),
    )

    class Meta:
        model = Program
        fields = list(PROGRAM_FIELDS)
        widgets = {
            "start_date": DateInput,
            "end_date": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
            "organizing_unit": unit_picker(),
            "plan_item": plan_item_picker(),
        }

    def __init__(self, *args, units, families, plan_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizing_unit"].queryset = units
        self.fields["family"].queryset = families
        self.fields["family"].required = False
        field = self.fields["plan_item"]
        # The approved items in scope, and the program's own item even when it is back in review.
        current = self.instance.plan_item_id if self.instance.pk else None
        field.queryset = plan_items | PlanItem.objects.filter(pk=current) if current else plan_items
        field.required = False
        field.label = _("计划班次(已备案)")
        field.help_text = _("项目须来自已备案的计划班次才能发布;不选即为计划外(须系统管理员批准)。")
        field.label_from_instance = plan_item_label

    FIELDSETS = [
        (
            _("基本信息"),
            [
                "plan_item",
                "code",
                "title",
                "theme",
                "description",
                "level",
                "kind",
                "organizing_unit",
                "family",
                "new_family_name",
                "cohort_number",
            ],
        ),
        (_("时间与对象"), ["start_date", "end_date", "capacity", "target_ranks", "credit_hours"]),
        (_("考勤规则"), list(ATTENDANCE_POLICY_FIELDS)),
        (_("结业规则"), list(COMPLETION_POLICY_FIELDS)),
    ]

    def fieldsets(self):
        return [(label, [self[name] for name in names]) for label, names in self.FIELDSETS]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        if (data.get("family") or data.get("new_family_name")) and not data.get("cohort_number"):
            self.add_error("cohort_number", _("属于项目系列的项目须填写期数。"))
        return data

    def validate_constraints(self):
        # The service checks the same rules with messages of its own; the check constraint's
        # generic message would only repeat ours.
        pass


class FromPlanForm(forms.Form):
    """The create page's "start from an approved plan item" (GET ?plan_item=)."""

    plan_item = forms.ModelChoiceField(
        label=_("从已备案的计划班次开始"),
        queryset=PlanItem.objects.none(),
        widget=plan_item_picker(),
    )

    def __init__(self, *args, plan_items, **kwargs):
        kwargs.setdefault("auto_id", "from_%s")
        super().__init__(*args, **kwargs)
        self.fields["plan_item"].queryset = plan_items
        self.fields["plan_item"].label_from_instance = plan_item_label


class SessionFieldsMixin(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Session.Kind.choices)
    topic = forms.CharField(label=_("主题"), max_length=200)
    credit_hours = forms.DecimalField(
        label=_("学时"),
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=SESSION_HOURS_MAX,
        initial=3,
    )
    venue = forms.ModelChoiceField(label=_("主课堂"), queryset=Venue.objects.none(), required=False)
    branch_venues = forms.ModelMultipleChoiceField(
        label=_("分课堂"),
        queryset=Venue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    lecturers = forms.ModelMultipleChoiceField(
        label=_("授课人"),
        queryset=Lecturer.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    notes = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    acknowledge = forms.BooleanField(label=_("已知晓学员时间冲突,仍然保存"), required=False)

    def __init__(self, *args, venues, lecturers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues
        self.fields["branch_venues"].queryset = venues
        self.fields["lecturers"].queryset = lecturers

    def session_data(self) -> dict:
        d = self.cleaned_data
        return {
            k: d[k]
            for k in (
                "kind",
                "topic",
                "credit_hours",
                "venue",
                "branch_venues",
                "lecturers",
                "notes",
            )
        }


class SessionForm(SessionFieldsMixin):
    date = forms.DateField(label=_("日期"), widget=DateInput)
    start_time = forms.TimeField(label=_("开始"), widget=TimeInput)
    end_time = forms.TimeField(label=_("结束"), widget=TimeInput)
    scope = forms.ChoiceField(
        label=_("修改范围"),
        choices=[("this", _("仅此一次")), ("following", _("此次及以后各次"))],
        initial="this",
        widget=forms.RadioSelect,
        required=False,
    )

    field_order = [
        *EDIT_FIELDS,
        "scope",
        "acknowledge",
    ]

    @classmethod
    def initial_for(cls, session: Session) -> dict:
        start, end = timezone.localtime(session.start), timezone.localtime(session.end)
        return {
            "date": start.date(),
            "start_time": start.time(),
            "end_time": end.time(),
            "kind": session.kind,
            "topic": session.topic,
            "credit_hours": session.credit_hours,
            "venue": session.venue_id,
            "branch_venues": list(session.branch_venues.all()),
            "lecturers": list(session.lecturers.all()),
            "notes": session.notes,
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("结束时间必须晚于开始时间。"))
        return data

    def session_data(self) -> dict:
        d = self.cleaned_data
        return {
            **super().session_data(),
            "start": at_local(d["date"], d["start_time"]),
            "end": at_local(d["date"], d["end_time"]),
        }


class SeriesForm(SessionFieldsMixin):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("每周"), choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    start_time = forms.TimeField(label=_("开始"), widget=TimeInput)
    end_time = forms.TimeField(label=_("结束"), widget=TimeInput)
    first_date = forms.DateField(label=_("首次日期"), widget=DateInput)
    count = forms.IntegerField(
        label=_("次数"),
        required=False,
        min_value=1,
        max_value=200,
        help_text=_("含跳过的日期,例如 10 周跳过 1 次共 9 次课。"),
    )
    until = forms.DateField(label=_("或截止日期"), required=False, widget=DateInput)
    skip_dates = forms.CharField(
        label=_("跳过日期"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行或用逗号分隔一个日期,如 2026-04-02"),
    )

    field_order = [
        "weekdays",
        "start_time",
        "end_time",
        "first_date",
        "count",
        "until",
        "skip_dates",
        "kind",
        "topic",
        "venue",
        "branch_venues",
        "lecturers",
        "credit_hours",
        "notes",
        "acknowledge",
    ]

    def clean_skip_dates(self):
        try:
            return parse_dates(self.cleaned_data.get("skip_dates") or "")
        except DomainError as err:
            raise forms.ValidationError(err.message) from None

    def clean(self):
        data = super().clean()
        if data.get("count") is None and data.get("until") is None and not self.errors:
            self.add_error("count", _("请填写次数或截止日期。"))
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("结束时间必须晚于开始时间。"))
        return data

    def series_data(self) -> dict:
        d = self.cleaned_data
        return {
            **self.session_data(),
            **{
                k: d[k]
                for k in (
                    "weekdays",
                    "start_time",
                    "end_time",
                    "first_date",
                    "count",
                    "until",
                    "skip_dates",
                )
            },
        }


class CloneForm(forms.Form):
    code = forms.CharField(label=_("新编号"), max_length=40)
    title = forms.CharField(label=_("新名称"), max_length=200)
    start_date = forms.DateField(label=_("新开始日期"), widget=DateInput)


class ReasonForm(forms.Form):
    """停课: the reason everyone concerned reads in their notice."""

    reason = forms.CharField(
        label=_("停课原因"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:授课人临时出差")}),
    )


class CostForm(forms.Form):
    """The actual cost of each cost category (元); empty means none."""

    def __init__(self, *args, program=None, fees=(), **kwargs):
        """`fees`: programs.costs.FeeRow per lecturer of the program (a fee field each)."""
        super().__init__(*args, **kwargs)
        actual = {c.category: c.amount for c in program.costs.all()} if program else {}
        for value, label in CostCategory.choices:
            self.fields[f"cost_{value}"] = self._amount_field(label, actual.get(value))
        self.fee_ids = [row.lecturer.pk for row in fees]
        for row in fees:
            self.fields[f"fee_{row.lecturer.pk}"] = self._amount_field(row.lecturer.name, row.paid)

    @staticmethod
    def _amount_field(label, initial):
        return forms.DecimalField(
            label=label,
            required=False,
            min_value=Decimal("0"),
            max_value=MAX_AMOUNT,
            max_digits=10,
            decimal_places=2,
            initial=initial,
        )

    def amounts(self) -> dict:
        return {v: self.cleaned_data.get(f"cost_{v}") for v in CostCategory.values}

    def fees(self) -> dict:
        return {pk: self.cleaned_data.get(f"fee_{pk}") for pk in self.fee_ids}


class WaiverForm(forms.Form):
    """计划外举办: why the class runs without an approved plan item (the admin's reason)."""

    reason = forms.CharField(
        label=_("计划外举办理由"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("如:上级临时部署的专题培训")}),
    )


class RescheduleForm(forms.Form):
    """调课: one session to a new date and time, with a reason for the notice."""

    date = forms.DateField(label=_("新日期"), widget=DateInput)
    start_time = forms.TimeField(label=_("开始"), widget=TimeInput)
    end_time = forms.TimeField(label=_("结束"), widget=TimeInput)
    reason = forms.CharField(label=_("调课原因"), max_length=200, required=False)
    acknowledge = forms.BooleanField(label=_("已知晓学员时间冲突,仍然保存"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("结束时间必须晚于开始时间。"))
        return data


class ProgramRescheduleForm(forms.Form):
    """改期: a program that has not begun moves to a new start date, every session with it."""

    start_date = forms.DateField(label=_("新的开始日期"), widget=DateInput)
    reason = forms.CharField(label=_("改期原因"), max_length=200)
    acknowledge = forms.BooleanField(label=_("已知晓学员时间冲突,仍然保存"), required=False)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重新开放原因"), max_length=200)
    days = forms.IntegerField(label=_("开放天数"), min_value=1, max_value=30, initial=7)


class MoveForm(forms.Form):
    date = forms.DateField()
    acknowledge = forms.BooleanField(required=False)


class RangeForm(forms.Form):
    """The days a timetable page shows, sent back with each edit so the right cells refresh."""

    first = forms.DateField(required=False)
    last = forms.DateField(required=False)

    def bounds(self):
        if self.is_valid() and self.cleaned_data["first"] and self.cleaned_data["last"]:
            return self.cleaned_data["first"], self.cleaned_data["last"]
        return None


class UsernamesField(forms.CharField):
    """Accounts named by username, separated by commas or spaces."""

    def clean(self, value):
        value = super().clean(value)
        names = [n for n in value.replace(",", " ").replace(",", " ").split() if n]
        users = list(User.objects.filter(username__in=names))
        missing = sorted(set(names) - {u.username for u in users})
        if missing:
            raise forms.ValidationError(_("找不到账号:%(names)s") % {"names": "、".join(missing)})
        return users


class VenueForm(forms.ModelForm):
    managers = UsernamesField(
        label=_("场地管理员账号"), required=False, help_text=_("多个账号用逗号分隔")
    )

    class Meta:
        model = Venue
        fields = ["name", "address", "capacity", "unit"]
        widgets = {"unit": unit_picker()}

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if self.instance.pk and not self.is_bound:
            self.initial["managers"] = ", ".join(
                self.instance.managers.values_list("username", flat=True)
            )


class LecturerForm(forms.ModelForm):
    account = forms.CharField(label=_("关联账号(用户名,可不填)"), required=False)

    class Meta:
        model = Lecturer
        fields = ["name", "title", "title_level", "affiliation", "bio", "unit"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3}), "unit": unit_picker()}

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if self.instance.pk and self.instance.user_id and not self.is_bound:
            self.initial["account"] = self.instance.user.username

    def clean_account(self):
        name = (self.cleaned_data.get("account") or "").strip()
        if not name:
            return None
        user = User.objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(_("找不到账号:%(names)s") % {"names": name})
        return user


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())
