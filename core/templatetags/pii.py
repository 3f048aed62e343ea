"""Masking in templates (issue 17 item 8).

{% load pii %}
{{ person.id_number|mask_id }}      4201**********123X
{{ person.phone|mask_phone }}       138****5678
{% pii_value person "phone" %}      masked, with a 显示 control (reason asked, audited:
                                    core.pii_views) for viewers who may unmask someone;
                                    a person sees their own value in full
"""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.pii import mask, mask_id_number, mask_phone, may_unmask_any

register = template.Library()


@register.filter
def mask_id(value):
    return mask_id_number(value)


register.filter("mask_phone", mask_phone)


@register.simple_tag(takes_context=True)
def pii_value(context, person, field):
    value = getattr(person, field, "") or ""
    if not value:
        return ""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is not None and viewer.is_authenticated and viewer.pk == person.pk:
        return value
    masked = mask(field, value)
    if viewer is None or not may_unmask_any(viewer):
        return masked
    url = reverse("pii_unmask", args=[person.pk, field])
    dom_id = f"pii-{person.pk}-{field}"
    return format_html(
        '<span id="{}" class="pii">{} <a href="{}" hx-get="{}" hx-target="#{}" '
        'hx-swap="outerHTML" class="pii-show">{}</a></span>',
        dom_id,
        masked,
        url,
        url,
        dom_id,
        _("显示"),
    )
