"""The Django admin of core and accounts at scale (issue 18 item 1): every ModelAdmin bounded
(core.admin_base.ScaleAdmin: raw-id or autocomplete for every relation, no full-table count),
and every changelist, add and change page the same size and query count at two data sizes."""

from django.contrib import admin

from accounts.models import User
from core.admin_base import ScaleAdmin
from tests.test_admin_scale import MAX_BYTES, MAX_OPTIONS, MAX_QUERIES, _grow, _measure

APPS = {"core", "accounts"}


def test_every_core_and_accounts_admin_is_bounded():
    seen = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in APPS:
            continue
        seen += 1
        assert isinstance(model_admin, ScaleAdmin), model._meta.label
        assert model_admin.show_full_result_count is False
        relations = {f.name for f in model._meta.concrete_fields if f.is_relation}
        widgets = set(model_admin.raw_id_fields) | set(model_admin.autocomplete_fields)
        assert relations <= widgets, (model._meta.label, relations - widgets)
        for name in model_admin.list_filter:
            field = model._meta.get_field(name) if isinstance(name, str) else None
            # a filter on a free-text column reads its distinct values from the whole table
            assert field is None or field.choices or field.get_internal_type() == "BooleanField", (
                model._meta.label,
                name,
            )
    assert seen >= 6


def test_core_and_accounts_admin_pages_stay_the_same_at_two_sizes(world, client):
    superuser = User.objects.create_superuser("w_super", "super@example.org", "x", full_name="超管")
    client.force_login(superuser)
    _measure(client, superuser)  # warm the per-process caches
    small = _measure(client, superuser)
    _grow(world)
    large = _measure(client, superuser)
    problems = []
    for (label, kind), big in large.items():
        if label.split(".")[0] not in APPS:
            continue
        little = small.get((label, kind))
        if big["status"] != 200 or big["bytes"] > MAX_BYTES or big["options"] > MAX_OPTIONS:
            problems.append((label, kind, big))
        if big["queries"] > MAX_QUERIES or (little and little["queries"] != big["queries"]):
            problems.append((label, kind, little and little["queries"], big["queries"]))
    assert not problems, problems
