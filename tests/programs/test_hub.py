import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_program_page_links_every_app_for_its_managers(world, client_for):
    page = client_for(world.manager).get(reverse("programs:detail", args=[world.program.pk]))
    html = page.content.decode()
    for name in (
        "enrollment:roster",
        "attendance:program",
        "attendance:leave_list",
        "evaluation:program",
        "reports:program_exports",
    ):
        assert reverse(name, args=[world.program.pk]) in html, name
    trainee_html = (
        client_for(world.trainee)
        .get(reverse("programs:detail", args=[world.program.pk]))
        .content.decode()
    )
    assert reverse("enrollment:roster", args=[world.program.pk]) not in trainee_html
