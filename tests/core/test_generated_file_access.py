"""A finished file is served only while its owner may still see what it was made from, as the app
that made it says (<app>/files.py); a file no app vouches for is not served at all."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from core.models import GeneratedFile
from programs.models import ProgramStaff

pytestmark = pytest.mark.django_db


def _done(owner, kind, params):
    gf = GeneratedFile.objects.create(
        owner=owner, kind=kind, title="t", params=params, status=GeneratedFile.Status.DONE
    )
    gf.file.save("f.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return gf


@pytest.mark.parametrize(
    "kind, params",
    [
        ("enrollment.roster_pdf", lambda w: {"program": w.program.pk}),
        ("evaluation.scoring_export", "round"),
        ("evaluation.reflection_collection", "assignment"),
    ],
)
def test_a_manager_removed_from_the_program_can_no_longer_download(world, client_for, kind, params):
    if params == "round":
        from tests.evaluation.factories import make_round

        obj = make_round(world.program, [])
        params = {"round": obj.pk}
    elif params == "assignment":
        from tests.evaluation.factories import make_assignment

        params = {"assignment": make_assignment(world.program).pk}
    else:
        params = params(world)
    gf = _done(world.manager, kind, params)
    client = client_for(world.manager)
    url = reverse("generated_file_download", args=[gf.pk])
    assert client.get(url).status_code == 200
    ProgramStaff.objects.filter(program=world.program, user=world.manager).delete()
    assert client.get(url).status_code == 404


def test_a_file_no_app_vouches_for_is_not_served(world, client_for):
    for kind in ("roster_pdf", "nosuchapp.export", "core.export"):
        gf = _done(world.manager, kind, {"program": world.program.pk})
        response = client_for(world.manager).get(reverse("generated_file_download", args=[gf.pk]))
        assert response.status_code == 404, kind
