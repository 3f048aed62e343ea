"""Notices are stored with their source strings and rendered in the reader's language."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _lazy

from core.models import Notification
from core.services import notification_email_text, notify, notify_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# msgids with English in the project catalogue (templates and core strings)
TITLE = _lazy("不能处理与本人有关的事项:请由其他负责人办理。")
ENGLISH_TITLE = "You cannot decide a matter that concerns yourself"


def test_a_notice_made_under_chinese_reads_in_english_for_an_english_reader(client):
    reader = UserFactory(language="en")
    with translation.override("zh-hans"):
        note = notify(user=reader, title=TITLE, url="/inbox/")
    assert note.title.startswith("不能处理")  # the default-language text is kept
    client.force_login(reader)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("inbox")).content.decode()
    assert ENGLISH_TITLE in page
    assert "不能处理与本人有关的事项" not in page


def test_a_notice_made_under_english_reads_in_chinese_for_a_chinese_reader(client):
    reader = UserFactory()
    with translation.override("en"):
        notify_many(users=[reader], title=TITLE)
    note = Notification.objects.get(user=reader)
    assert note.title.startswith("不能处理")
    client.force_login(reader)
    page = client.get(reverse("inbox")).content.decode()
    assert "不能处理与本人有关的事项" in page
    assert ENGLISH_TITLE not in page


def test_params_fill_the_translation_of_the_reader():
    reader = UserFactory()
    note = notify(
        user=reader,
        title=_lazy("第 %(n)s / %(total)s 页,共 %(items)s 条"),
        params={"n": 1, "total": 2, "items": 30},
    )
    note.refresh_from_db()
    assert note.title == "第 1 / 2 页,共 30 条"
    assert note.params == {"n": 1, "total": 2, "items": 30}
    with translation.override("en"):
        assert note.display_title == "Page 1 of 2, 30 in all"
    with translation.override("zh-hans"):
        assert note.display_title == "第 1 / 2 页,共 30 条"


def test_a_lazy_param_is_translated_for_the_reader_too():
    note = notify(
        user=UserFactory(),
        title=_lazy("第 %(n)s / %(total)s 页,共 %(items)s 条"),
        params={"n": _lazy("分页"), "total": 2, "items": 3},
    )
    with translation.override("en"):
        assert note.display_title == "Page Pages of 2, 3 in all"


def test_a_plain_string_is_stored_and_shown_as_it_is():
    note = notify(user=UserFactory(), title="会议室改到 302", body="请相互转告。")
    assert (note.title_msgid, note.body_msgid, note.params) == ("", "", {})
    with translation.override("en"):
        assert note.display_title == "会议室改到 302"
        assert note.display_body == "请相互转告。"


def test_a_translation_that_does_not_fit_the_values_falls_back_to_the_stored_text():
    note = notify(
        user=UserFactory(), title=_lazy("第 %(n)s / %(total)s 页,共 %(items)s 条"), params={}
    )
    note.params = {"n": 1}
    with translation.override("en"):
        assert note.display_title == note.title


def test_the_email_is_in_the_recipients_language_with_a_link_where_the_notice_was_made(
    settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = ""
    english = UserFactory(email="en@example.org", language="en")
    chinese = UserFactory(email="zh@example.org")
    from core.links import using_base

    with using_base("http://10.1.2.3:8123"), django_capture_on_commit_callbacks(execute=True):
        notify_many(users=[english, chinese], title=TITLE, url="/inbox/")
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to["en@example.org"].subject.startswith("[Lectern] " + ENGLISH_TITLE)
    assert "http://10.1.2.3:8123/inbox/" in by_to["en@example.org"].body
    assert by_to["zh@example.org"].subject.startswith("[讲台] 不能处理")


def test_email_text_uses_site_url_when_set(settings):
    settings.SITE_URL = "https://peixun.example.gov.cn"
    note = notify(user=UserFactory(), title=TITLE, url="/inbox/")
    assert "https://peixun.example.gov.cn/inbox/" in notification_email_text(note)[1]


def test_the_language_switch_stores_the_choice_on_a_signed_in_user(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_a_signed_in_user_without_the_cookie_gets_their_stored_language(client):
    user = UserFactory(language="en")
    client.force_login(user)
    response = client.get(reverse("inbox"))
    assert response["Content-Language"] == "en"


def test_the_profile_saves_the_language(client):
    user = UserFactory()
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {"email": "", "email_notifications": "on", "language": "en"},
    )
    user.refresh_from_db()
    assert user.language == "en"


def test_the_home_panel_lists_the_latest_unread_in_the_readers_language(client):
    reader = UserFactory()
    notify(user=reader, title=TITLE, url="/inbox/")
    client.force_login(reader)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("home")).content.decode()
    assert ENGLISH_TITLE in page
