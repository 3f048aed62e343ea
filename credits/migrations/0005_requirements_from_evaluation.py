"""The yearly requirement per rank lived twice: evaluation's CreditRequirement (one figure a year
per rank, edited on 学时要求设置) and credits' Requirement (the policy rows). Credits keeps it now.
A CreditRequirement row an administrator changed from evaluation's shipped default becomes a
national Requirement row effective 1 January of this year for that rank (its yearly hours; the
five-year and online figures of the row in force are kept), so no local decision is lost.
Rows still at the default are dropped: the 2023 national rows already cover them."""

from datetime import date
from decimal import Decimal

from django.db import migrations

SHIPPED = {  # evaluation's defaults, as they were shipped
    "provincial": Decimal("110"),
    "bureau": Decimal("110"),
    "county": Decimal("110"),
    "section": Decimal("90"),
    "staff": Decimal("72"),
}


def forward(apps, schema_editor):
    try:
        Old = apps.get_model("evaluation", "CreditRequirement")
    except LookupError:
        return
    Requirement = apps.get_model("credits", "Requirement")
    since = date(date.today().year, 1, 1)
    for old in Old.objects.all():
        if SHIPPED.get(old.rank) == old.hours:
            continue
        current = (
            Requirement.objects.filter(rank=old.rank, unit=None, effective_from__lte=since)
            .order_by("-effective_from")
            .first()
        )
        five = current.five_year_hours if current else None
        Requirement.objects.update_or_create(
            rank=old.rank,
            unit=None,
            effective_from=since,
            defaults={
                "annual_hours": None if five is not None else old.hours,
                "five_year_hours": old.hours * 5 if five is not None else None,
                "online_hours": current.online_hours if current else Decimal(0),
                "note": "原“学时要求设置”中的年度要求",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0004_profile_rollup_revoke"),
        ("evaluation", "0004_field_verbose_names"),
    ]
    run_before = [("evaluation", "0005_drop_creditrequirement")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
