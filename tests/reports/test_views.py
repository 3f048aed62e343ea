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


def test_the_record_pages_are_the_credits_record(world, client_for):
    """个人培训档案 and 我的培训档案 live in the credits app: the old addresses lead there."""
    client = client_for(world.trainee)
    mine = client.get(reverse("reports:my_record"))
    assert mine.status_code == 302 and mine["Location"] == reverse("credits:mine")
    other = client_for(world.admin).get(reverse("reports:trainee_record", args=[world.trainee.pk]))
    assert other["Location"] == reverse("credits:record", args=[world.trainee.pk])
    export = client_for(world.admin).post(
        reverse("reports:trainee_export", args=[world.trainee.pk]), {"kind": "record_xlsx"}
    )
    assert export["Location"] == reverse("credits:record_xlsx", args=[world.trainee.pk])


def test_exports_index_lists_only_managed_programs(world, client_for):
    from tests.factories import ProgramFactory

    hidden = ProgramFactory(title="临川市另一个班", organizing_unit=world.city_b)
    page = client_for(world.organizer).get(reverse("reports:index")).content.decode()
    assert world.program.title in page and hidden.title not in page
    empty = client_for(world.trainee).get(reverse("reports:index")).content.decode()
    assert "没有可导出报表" in empty
