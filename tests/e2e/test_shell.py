import pytest

from tests.e2e.conftest import login, shot
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_trainee_logs_in_on_a_phone_and_sees_home(world, new_page):
    page = new_page(phone=True)
    login(page, world.trainee.username, TEST_PASSWORD)
    assert page.locator("h1").inner_text().startswith(world.trainee.full_name)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    # The menu folds away on a phone and opens with a tap.
    assert not page.locator(".mainnav").is_visible()
    page.click("label.nav-toggle-label")
    assert page.locator(".mainnav").is_visible()
    assert shot(page, "shell_trainee_phone_home").exists()


def test_language_switch_turns_pages_english_and_back(world, page):
    """Journey 5: the switch in the top bar changes the UI language and keeps it across pages."""
    login(page, world.organizer.username, TEST_PASSWORD)
    assert "消息" in page.locator(".usermenu").inner_text()
    page.click(".langswitch button")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Messages" in page.locator(".usermenu").inner_text()
    page.goto("/accounts/profile/")
    assert page.locator("h1").inner_text() == "My settings"
    shot(page, "shell_language_english")
    page.click(".langswitch button")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "个人设置"


def test_wrong_password_is_refused_with_a_message(world, page):
    login(page, world.trainee.username, "not-the-password")
    assert "/accounts/login/" in page.url
    assert page.locator(".errorlist, .error").count() >= 1
    shot(page, "shell_login_error")
