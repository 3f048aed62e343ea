"""Masking of ID and phone numbers (core.pii) and its template filters."""

import pytest
from django.template import Context, Template

from core.pii import mask_id_number, mask_phone


def test_an_id_number_keeps_its_first_and_last_four():
    assert mask_id_number("42010619900101123X") == "4201**********123X"
    assert mask_id_number("420106900101123") == "4201*******1123"  # the old 15-digit form


def test_a_phone_keeps_its_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(13812345678) == "138****5678"  # a number from a spreadsheet
    assert mask_phone(" 13812345678 ") == "138****5678"


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blanks_stay_blank(blank):
    assert mask_id_number(blank) == "" and mask_phone(blank) == ""


@pytest.mark.parametrize("value", ["1", "12", "123", "1234", "12345678", "123456789", "0571-8888"])
def test_short_or_odd_values_never_give_most_of_the_number_away(value):
    for masked in (mask_id_number(value), mask_phone(value)):
        assert len(masked) == len(value)
        assert masked.count("*") * 3 >= len(value) and masked != value


def test_template_filters():
    out = Template("{% load pii %}{{ i|mask_id }} {{ p|mask_phone }} [{{ n|mask_phone }}]").render(
        Context({"i": "42010619900101123X", "p": "13812345678", "n": None})
    )
    assert out == "4201**********123X 138****5678 []"


@pytest.mark.django_db
def test_exports_are_masked_unless_a_role_that_may_unmask_asks_with_a_reason(world):
    from core.errors import DomainError
    from core.pii import export_masker, full_export_check

    assert full_export_check(user=world.liaison, full=False, reason="") is False
    assert export_masker("phone")("13812345678") == "138****5678"
    with pytest.raises(DomainError) as refused:
        full_export_check(user=world.liaison, full=True, reason="上报组织部备案")
    assert refused.value.field == "full_pii"
    with pytest.raises(DomainError) as no_reason:
        full_export_check(user=world.organizer, full=True, reason=" 备案 ")
    assert no_reason.value.field == "reason"
    assert full_export_check(user=world.admin, full=True, reason="上报组织部备案") is True
    assert export_masker("id_number", True)("42010619900101123X") == "42010619900101123X"
