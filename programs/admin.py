"""Programs models in the Django admin, bounded at province scale (core.admin_base)."""

from django.contrib import admin
from django.db import models

from core.admin_base import (
    INSTEAD_PROGRAM,
    INSTEAD_SESSION,
    ScaleAdmin,
    scale_the_rest,
    scaled,
)
from programs.models import (
    CalendarFeed,
    Lecturer,
    Program,
    ProgramCost,
    ProgramFamily,
    ProgramStaff,
    RecurringSeries,
    Session,
    Venue,
)


@admin.register(Program)
class ProgramAdmin(ScaleAdmin):
    list_display = ["code", "title", "organizing_unit", "level", "kind", "status", "start_date"]
    list_filter = ["status", "level", "kind"]
    search_fields = ["code", "title"]
    delete_instead = INSTEAD_PROGRAM

    def cascade_querysets(self, objs):
        """Also what the program's sessions take along (attendance records, answers…), found
        through the relations Django knows rather than by importing the apps that own them."""
        yield from super().cascade_querysets(objs)
        sessions = Session.objects.filter(program__in=[o.pk for o in objs]).values("pk")
        for rel in Session._meta.related_objects:
            if rel.many_to_many or rel.on_delete is not models.CASCADE:
                continue
            related = rel.related_model
            yield (
                related._meta.verbose_name,
                related._base_manager.filter(**{f"{rel.field.name}__in": sessions}),
            )


@admin.register(Session)
class SessionAdmin(ScaleAdmin):
    list_display = ["topic", "program", "start", "end", "venue", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["topic"]
    list_select_related = ["program", "venue"]
    delete_instead = INSTEAD_SESSION


@admin.register(Venue)
class VenueAdmin(ScaleAdmin):
    list_display = ["name", "unit", "capacity"]
    search_fields = ["name"]
    list_select_related = ["unit"]


@admin.register(Lecturer)
class LecturerAdmin(ScaleAdmin):
    list_display = ["name", "title", "affiliation", "user"]
    search_fields = ["name", "affiliation"]
    list_select_related = ["user"]


scaled(ProgramFamily, search_fields=["name"])
scaled(
    ProgramStaff, list_display=["program", "user", "role"], list_select_related=["program", "user"]
)
scaled(RecurringSeries)
scaled(CalendarFeed, list_display=["kind", "user", "lecturer"])
scaled(ProgramCost)

scale_the_rest("programs")
