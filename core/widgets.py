"""A searchable picker for a foreign key with too many rows for a <select> (every unit of a
province, every approved plan item): a text field the user types into, matches fetched from a
query endpoint, the chosen row's id posted as the field's value.

    field.widget = SearchPicker(url=reverse_lazy("programs:pick_units"))

Use it on a ModelChoiceField: the widget never iterates the field's choices (no option list in
the page, whatever the table's size); it reads only the current value's row, through the field's
own (scoped) queryset and `label_from_instance`. The field validates a posted id as usual.

The endpoint answers GET ?q=… with JSON `{"results": [{"id": 1, "label": "…"}], "more": false}`
(see `picker_response`), at most `PICKER_LIMIT` rows, scoped to what the user may choose.

Without JavaScript the picker is a plain id input beside the current choice's name; with it
(static/js/picker.js, no inline script: strict CSP) the id input is hidden and a search box with a
listbox of matches takes its place (arrow keys, Enter, Escape; a clear button on optional fields).
"""

from django import forms
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

PICKER_LIMIT = 20

# What the picker says, in Chinese; an app may pass its own (translated in its catalogue).
TEXTS = {
    "placeholder": _("输入名称搜索"),
    "none": _("未选择"),
    "clear": _("清除"),
    "empty": _("没有匹配的项"),
    "more": _("只显示前 %(n)s 项,请输入更多字缩小范围"),  # n: PICKER_LIMIT
    "error": _("搜索失败,请重试"),
    "id": _("编号"),
}


class SearchPicker(forms.Widget):
    template_name = "core/widgets/search_picker.html"

    class Media:
        css = {"all": ["css/picker.css"]}
        js = ["js/picker.js"]

    def __init__(self, *, url, texts=None, attrs=None):
        super().__init__(attrs)
        self.url = url
        self.texts = {**TEXTS, **(texts or {})}

    def current_label(self, value) -> str:
        """The label of the chosen row (one query), or "" when none or not a valid choice."""
        if value in (None, ""):
            return ""
        choices = getattr(self, "choices", None)
        queryset = getattr(choices, "queryset", None)
        if queryset is None:
            return str(value)
        try:
            obj = queryset.filter(pk=value).first()
        except (ValueError, TypeError):
            return ""
        if obj is None:
            return ""
        return str(choices.field.label_from_instance(obj))

    def format_value(self, value):
        if value in (None, ""):
            return ""
        return str(getattr(value, "pk", value))

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["url"] = str(self.url)
        widget["texts"] = {k: str(v) for k, v in self.texts.items()}
        widget["texts"]["more"] = widget["texts"]["more"] % {"n": PICKER_LIMIT}
        widget["label"] = self.current_label(widget["value"])
        widget["optional"] = not self.is_required
        return context

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return value.strip() if isinstance(value, str) else value


def picker_response(rows, *, label=str, limit: int = PICKER_LIMIT) -> JsonResponse:
    """The endpoint's answer: the first `limit` rows of a queryset (one query: it fetches one row
    more than it shows to say whether there are more)."""
    found = list(rows[: limit + 1])
    return JsonResponse(
        {
            "results": [{"id": obj.pk, "label": str(label(obj))} for obj in found[:limit]],
            "more": len(found) > limit,
        }
    )
