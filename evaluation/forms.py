from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.models import (
    COMMENT_MAX,
    COMMITMENT_MAX,
    INDICATORS,
    CreditPolicy,
    Grade,
    Rating,
    ReflectionAssignment,
)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = ReflectionAssignment
        fields = ["title", "prompt", "deadline", "min_chars", "attachment_types", "allow_late"]
        widgets = {
            "deadline": DateTimeLocalInput(),
            "prompt": forms.Textarea(attrs={"rows": 5}),
            "attachment_types": forms.TextInput(attrs={"placeholder": "pdf,docx"}),
        }
        help_texts = {
            "attachment_types": _("用逗号分隔的扩展名,如 pdf,docx;留空表示不收附件。"),
            "min_chars": _("只计汉字,标点和英文不计。"),
        }


class ReviewForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("等次"), choices=Grade.choices, widget=forms.RadioSelect, required=False
    )
    score = forms.DecimalField(
        label=_("得分"), min_value=0, max_value=100, decimal_places=1, required=False
    )
    comment = forms.CharField(
        label=_("评语 / 修改意见"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=COMMENT_MAX,
    )


class EvaluationForm(forms.Form):
    comment = forms.CharField(
        label=_("意见建议"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in INDICATORS:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=Rating.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择一项。")},
            )
        self.order_fields([name for name, _l in INDICATORS] + ["comment"])


class RoundForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200)
    drop_extremes = forms.BooleanField(label=_("去掉一个最高分和一个最低分"), required=False)
    criteria = forms.CharField(
        label=_("评分项"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项:名称|权重|最低分|最高分"),
        max_length=4000,
        # Translators: keep the format "name|weight|min|max", one criterion a line.
        initial=_("思路清晰|30|0|10\n举措务实|40|0|10\n现场表达|30|0|10"),
    )
    presenters = forms.CharField(
        label=_("汇报人"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一人:姓名|职务|汇报题目"),
        max_length=40000,
    )
    judges = forms.ModelMultipleChoiceField(
        label=_("评委"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, judge_candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judges"].queryset = judge_candidates


class CreditPolicyForm(forms.ModelForm):
    class Meta:
        model = CreditPolicy
        fields = ["late_percent", "left_early_percent", "late_left_early_percent", "leave_percent"]


class CommitmentForm(forms.Form):
    program = forms.ModelChoiceField(label=_("培训项目"), queryset=None)
    title = forms.CharField(label=_("承诺事项"), max_length=200)
    description = forms.CharField(
        label=_("具体措施"),
        required=False,
        max_length=COMMITMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_date = forms.DateField(label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, programs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = programs


class ProgressForm(forms.Form):
    note = forms.CharField(
        label=_("进展情况"), max_length=COMMITMENT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    progress = forms.IntegerField(label=_("进度(%)"), min_value=0, max_value=100)
