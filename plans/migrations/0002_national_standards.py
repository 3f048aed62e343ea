"""The national training-fee standards as policy rows an admin can supersede (by a later
effective date, or with a locality's own row for its unit subtree)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

EFFECTIVE = dt.date(2016, 12, 27)
PER_PERSON_DAY = {"first": Decimal("550"), "second": Decimal("450"), "third": Decimal("350")}
PER_HOUR = {"associate": Decimal("500"), "full": Decimal("1000"), "eminent": Decimal("1500")}


def forwards(apps, schema_editor):
    CostCap = apps.get_model("plans", "CostCap")
    LecturerFeeCap = apps.get_model("plans", "LecturerFeeCap")
    for category, amount in PER_PERSON_DAY.items():
        CostCap.objects.get_or_create(
            class_category=category,
            unit=None,
            effective_from=EFFECTIVE,
            defaults={"per_person_day": amount},
        )
    for level, amount in PER_HOUR.items():
        LecturerFeeCap.objects.get_or_create(
            title_level=level, unit=None, effective_from=EFFECTIVE, defaults={"per_hour": amount}
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
