"""The Django admin of core and accounts at scale (issue 18 item 1): every ModelAdmin bounded
(core.admin_base.ScaleAdmin: raw-id or autocomplete for every relation, no full-table count),
and every changelist, add and change page the same size and query count at two data sizes
(asserted with every Lectern app's pages in tests/test_admin_scale.py, one walk for all)."""

from django.contrib import admin

from core.admin_base import ScaleAdmin

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
