"""Chinese pages show no English from Django itself: empty select choices, the admin header."""

import pytest
from django import forms
from django.utils import translation

from accounts.models import OrgUnit, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["gender", "unit"]


def test_every_select_offers_a_translated_empty_choice():
    with translation.override("zh-hans"):
        html = str(_UserForm())
        assert html.count("请选择") == 2  # a choices field and a foreign key
        assert "Select an option" not in html and "---------" not in html
    with translation.override("en"):
        html = str(_UserForm())
        assert html.count("Select…") == 2
        assert "请选择" not in html


def test_a_plain_choice_field_too():
    field = forms.ModelChoiceField(OrgUnit.objects.none(), required=False)
    with translation.override("zh-hans"):
        assert str(field.empty_label) == "请选择"


def test_the_admin_is_headed_in_the_readers_language(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    chinese = client.get("/admin/").content.decode()
    assert "讲台 管理后台" in chinese and "Django" not in chinese
    client.cookies["django_language"] = "en"
    english = client.get("/admin/").content.decode()
    assert "Lectern administration" in english


def test_the_profiles_empty_language_means_the_system_default():
    from accounts.forms import PreferencesForm

    with translation.override("zh-hans"):
        html = str(PreferencesForm(instance=UserFactory())["language"])
    assert "系统默认(简体中文)" in html and "请选择" not in html
