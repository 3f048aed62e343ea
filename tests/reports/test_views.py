import pytest
from django.urls import reverse

from reports.models import ReminderKind, ReminderPreference

pytestmark = pytest.mark.django_db


def test_preferences_switch_off_a_reminder_kind(world, client_for):
    client = client_for(world.trainee)
    kept = [k for k in ReminderKind.values if k != ReminderKind.SESSION_HOUR_BEFORE]
    response = client.post(reverse("reports:preferences"), {"kinds": kept})
    assert response.status_code == 302
    off = ReminderPreference.objects.get(user=world.trainee, kind=ReminderKind.SESSION_HOUR_BEFORE)
    assert off.enabled is False
    page = client.get(reverse("reports:preferences")).content.decode()
    assert f'value="{ReminderKind.SESSION_HOUR_BEFORE}"' in page
    assert "提醒设置已保存" in page or "提醒设置" in page


def test_trainee_record_page_shows_programs_and_export_buttons(world, client_for):
    page = (
        client_for(world.trainee)
        .get(reverse("reports:trainee_record", args=[world.trainee.pk]))
        .content.decode()
    )
    assert world.program.title in page and 'value="record_pdf"' in page
    assert "style=" not in page


def test_my_record_redirects_to_own_record(world, client_for):
    response = client_for(world.trainee).get(reverse("reports:my_record"))
    assert response["Location"] == reverse("reports:trainee_record", args=[world.trainee.pk])


def test_exports_index_lists_only_managed_programs(world, client_for):
    from tests.factories import ProgramFactory

    hidden = ProgramFactory(title="临川市另一个班", organizing_unit=world.city_b)
    page = client_for(world.organizer).get(reverse("reports:index")).content.decode()
    assert world.program.title in page and hidden.title not in page
    empty = client_for(world.trainee).get(reverse("reports:index")).content.decode()
    assert "没有可导出报表" in empty
