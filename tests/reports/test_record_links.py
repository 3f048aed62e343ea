"""The named trainee's 个人培训档案 is one click from the roster and the attendance pages, for
those who may open it (admins and organizers in scope); class staff see the name only."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name, kwargs",
    [
        ("enrollment:roster", lambda w: {"pk": w.program.pk}),
        ("attendance:program", lambda w: {"pk": w.program.pk}),
        ("attendance:session", lambda w: {"pk": w.session.pk}),
    ],
)
def test_rosters_and_attendance_link_the_trainee_record_for_organizers_only(
    world, client_for, url_name, kwargs
):
    record = reverse("reports:trainee_record", args=[world.trainee.pk])
    url = reverse(url_name, kwargs=kwargs(world))
    for user in (world.organizer, world.admin):
        page = client_for(user).get(url)
        assert page.status_code == 200
        assert record in page.content.decode()
    assert client_for(world.organizer).get(record, follow=True).status_code == 200  # credits:record
    staff_page = client_for(world.manager).get(url).content.decode()
    assert record not in staff_page and world.trainee.full_name in staff_page
