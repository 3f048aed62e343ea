"""The Django admin at province scale: the base every Lectern app's admin.py uses.

`ScaleAdmin`: every foreign key and many-to-many field is a raw-id widget (no select of 150,000
users), what the changelist shows is joined in one query, the changelist counts at most COUNT_CAP
rows (never a whole table, and not twice), 50 rows a page, ordered by the primary key; a delete
whose cascade is large is refused with a message pointing to the proper service instead of
building a confirmation page of thousands of queries (and a 500 behind gunicorn).
`scaled(model, ...)` registers a model with one, its first plain columns listed.
"""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# What to do instead of deleting a large object in the admin (shown in the refusal).
INSTEAD_DEFAULT = _("请改用业务页面处理(例如把培训项目归档),不要在管理后台删除。")
INSTEAD_PROGRAM = _("请在培训项目页面把它归档(已结束的项目只读保留),不要在管理后台删除。")
INSTEAD_SESSION = _("请在培训项目页面取消这次课程(保留考勤记录),不要在管理后台删除。")

COUNT_CAP = 10_000  # the changelist counts at most this many rows (10,000 → 200 pages of 50)
CASCADE_LIMIT = 200  # objects a delete may take along before the admin refuses it


class BoundedCountPaginator(Paginator):
    """Counts `SELECT COUNT(*) FROM (… LIMIT cap+1)`: cheap on any table size."""

    @cached_property
    def count(self):
        return self.object_list.values("pk")[: COUNT_CAP + 1].count()


def _plain_columns(model, limit=6) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.get_internal_type() not in ("TextField", "JSONField", "BinaryField")
    ][:limit]


def _relations(model) -> list[str]:
    fks = [f.name for f in model._meta.concrete_fields if f.is_relation]
    return fks + [f.name for f in model._meta.many_to_many]


def _joins_for(model, columns) -> list[str]:
    """select_related for every foreign key the columns show, and one level below it (the
    shown object's own __str__ often names its program or user: 'user · program')."""
    joins = []
    for name in columns:
        try:
            field = model._meta.get_field(name)
        except Exception:  # a method or '__str__'
            continue
        if not (field.is_relation and field.many_to_one):
            continue
        joins.append(name)
        for sub in field.related_model._meta.concrete_fields:
            if sub.is_relation and sub.many_to_one and sub.related_model is not model:
                joins.append(f"{name}__{sub.name}")
    return joins


class ScaleAdmin(admin.ModelAdmin):
    """A ModelAdmin that stays bounded at province scale (see the module docstring)."""

    list_per_page = 50
    list_max_show_all = 200
    show_full_result_count = False
    paginator = BoundedCountPaginator
    cascade_limit = CASCADE_LIMIT
    # what to do instead of deleting a large object here (shown in the refusal)
    delete_instead = INSTEAD_DEFAULT

    def __init__(self, model, admin_site):
        cls = type(self)
        if "list_display" not in cls.__dict__ and cls.list_display == ("__str__",):
            self.list_display = _plain_columns(model)
        if not cls.raw_id_fields and not cls.autocomplete_fields:
            self.raw_id_fields = _relations(model)
        if cls.list_select_related is False:
            self.list_select_related = _joins_for(model, self.list_display) or False
        if not cls.ordering:
            self.ordering = ("-pk",)  # the primary key's index, never a sort of the whole table
        super().__init__(model, admin_site)

    # --- bounded deletes --------------------------------------------------------------------
    def cascade_querysets(self, objs):
        """The rows deleting `objs` takes along, as querysets to count (first level of every
        cascading reverse relation; subclasses add deeper ones that matter)."""
        pks = [o.pk for o in objs]
        for rel in self.model._meta.related_objects:
            if rel.on_delete is not models.CASCADE:
                continue
            related = rel.related_model
            if rel.many_to_many:
                continue
            yield (
                related._meta.verbose_name,
                related._base_manager.filter(**{f"{rel.field.name}__in": pks}),
            )

    def large_cascade(self, objs) -> str | None:
        """A message when deleting objs would take more than cascade_limit rows along."""
        total = 0
        for label, qs in self.cascade_querysets(objs):
            total += qs.values("pk")[: self.cascade_limit + 1].count()
            if total > self.cascade_limit:
                return _(
                    "删除会连带删除超过 %(limit)s 条相关数据(如%(what)s),不能在管理后台进行。"
                    "%(instead)s"
                ) % {"limit": self.cascade_limit, "what": label, "instead": self.delete_instead}
        return None

    def get_deleted_objects(self, objs, request):
        objs = list(objs)
        refusal = self.large_cascade(objs)
        if refusal:
            # Shown as the one "protected" item: the page stays small and POST deletes nothing.
            return [], {}, set(), [refusal]
        return super().get_deleted_objects(objs, request)


HIDDEN: set = set()


def hidden_from_admin(model) -> None:
    """Keep `model` out of the Django admin altogether (core does not register it either)."""
    HIDDEN.add(model)


def scaled(model, base=ScaleAdmin, **attrs):
    """Register `model` with a ScaleAdmin (attrs override the defaults)."""
    admin_class = type(f"{model.__name__}Admin", (base,), attrs)
    admin.site.register(model, admin_class)
    return admin_class


def scale_the_rest(app_label: str) -> None:
    """Register every model of the app that its admin.py did not, each with a ScaleAdmin (so a
    model added later never falls back to an unbounded admin)."""
    from django.apps import apps

    for model in apps.get_app_config(app_label).get_models():
        if model not in admin.site._registry and model not in HIDDEN:
            scaled(model)
