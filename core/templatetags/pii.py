"""Masking filters for templates: `{% load pii %}{{ user.id_number|mask_id }}`,
`{{ user.phone|mask_phone }}` (core.pii). The unmask control: `{% pii_value person "phone" %}`."""

from django import template

from core.pii import mask_id_number, mask_phone

register = template.Library()


@register.filter
def mask_id(value):
    return mask_id_number(value)


register.filter("mask_phone", mask_phone)
