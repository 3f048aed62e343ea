"""Personal data shown to people: ID numbers and phone numbers masked by default.

Every page, PDF and export prints an ID or phone number through `mask_id_number` /
`mask_phone` (templates: `{% load pii %}{{ value|mask_id }}`, `{{ value|mask_phone }}`). Only a
role that needs the full value asks for it, with a reason, and that unmasking is audited
(`pii.unmask`, core.views_pii).

    mask_id_number("42010619900101123X") == "4201**********123X"
    mask_phone("13812345678") == "138****5678"

Both accept anything (None, numbers, blanks, short or odd values) and never raise: a blank stays
blank, and a value too short to keep its head and tail is starred but for a small part, so a
masked value never gives the whole number away.
"""

from core.registry import app_hooks

MASK = "*"


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _mask(s: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters, star the rest. When that would star
    less than a third of the value (a short or odd value), only a quarter is kept at each end."""
    n = len(s)
    if not n:
        return ""
    if (n - head - tail) * 3 < n:
        head = tail = n // 4
    return s[:head] + MASK * (n - head - tail) + (s[n - tail :] if tail else "")


def mask_id_number(value) -> str:
    """An ID number with its first 4 and last 4 characters kept: `4201**********123X`."""
    return _mask(_text(value), 4, 4)


def mask_phone(value) -> str:
    """A phone number with its first 3 and last 4 digits kept: `138****5678`."""
    return _mask(_text(value), 3, 4)


MASKERS = {"id_number": mask_id_number, "phone": mask_phone}
REASON_MIN = 4  # characters of the reason asked before unmasking or a full export


def mask(field: str, value) -> str:
    """The masked form of a personal field's value (`id_number` or `phone`)."""
    return MASKERS[field](value)


# --- Who may see full values (the apps' `pii_policy` hooks: accounts.pii_policy) ---------------------------


def may_unmask(viewer, person) -> bool:
    """A person always sees their own data; anyone else only when an app's hook says so."""
    if viewer.is_authenticated and viewer.pk == person.pk:
        return True
    return any(hook(viewer, person) for hook in app_hooks("pii_policy", "may_unmask"))


def may_unmask_any(viewer) -> bool:
    if not viewer.is_authenticated:
        return False
    cached = getattr(viewer, "_lectern_may_unmask_any", None)
    if cached is None:
        cached = any(hook(viewer) for hook in app_hooks("pii_policy", "may_unmask_any"))
        viewer._lectern_may_unmask_any = cached
    return cached


# --- Exports -------------------------------------------------------------------------------------

FULL_EXPORT_PARAM = "full_pii"  # the export form's checkbox: "include full ID/phone numbers"


def full_export_check(*, user, full: bool, reason: str) -> bool:
    """May this export carry full ID and phone numbers? Masked (False) unless the form asked for
    them; asked, only a role that may unmask people (may_unmask_any: the
    organization department, organizers) and with a reason of at least REASON_MIN characters,
    else a DomainError for the form (field "reason"). The caller passes the same `reason` to
    core.services.generated_file_start / export_record and `params[FULL_EXPORT_PARAM] = True`,
    so the export's audit entry (`export.create`) says it carried full values and why."""
    from django.utils.translation import gettext as _

    from core.errors import DomainError

    if not full:
        return False
    if not may_unmask_any(user):
        raise DomainError(_("您无权导出完整的身份证号和手机号码。"), field=FULL_EXPORT_PARAM)
    if len((reason or "").strip()) < REASON_MIN:
        raise DomainError(
            _("导出完整的身份证号和手机号码须填写原因(至少 %(n)d 个字)。") % {"n": REASON_MIN},
            field="reason",
        )
    return True


def export_masker(field: str, full: bool = False):
    """The function an export applies to a personal field's values: the mask, or (only after
    full_export_check said yes) the value as it is."""
    if full:
        return lambda value: "" if value is None else str(value)
    return MASKERS[field]


# --- Forms that edit personal data --------------------------------------------------------------


class MaskedPersonalFieldsMixin:
    """For a ModelForm editing a person (the Django admin's user form): the ID and phone inputs
    start empty with the masked value as placeholder, so the page never holds the full number;
    left empty, the stored value is kept; a new number replaces it."""

    personal_fields = ("phone", "id_number")

    def __init__(self, *args, **kwargs):
        from django.utils.translation import gettext_lazy

        super().__init__(*args, **kwargs)
        for name in self.personal_fields:
            field = self.fields.get(name)
            if field is None:
                continue
            current = getattr(self.instance, name, "") if self.instance.pk else ""
            self.initial[name] = ""
            if current:
                field.required = False
                field.widget.attrs["placeholder"] = mask(name, current)
                field.help_text = gettext_lazy(
                    "已加密保存,不显示完整号码;留空则不修改,输入新号码则替换。"
                )

    def clean(self):
        data = super().clean()
        for name in self.personal_fields:
            if name in self.fields and self.instance.pk and not (data.get(name) or "").strip():
                data[name] = getattr(self.instance, name)
        return data
