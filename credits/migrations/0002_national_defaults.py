"""The national defaults of the 2023 rules (《干部教育培训工作条例》 and the 2023–2027 national
plan): requirements by rank, the conversions a locality may override, the category caps, and unit
review before the organization department. Localities add their own rows (admin)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

FROM = date(2023, 1, 1)
BASIS = "干部教育培训工作条例(2023)"

REQUIREMENTS = [
    # rank, per year, per five years, online per year
    ("provincial", None, "550", "50"),
    ("bureau", None, "550", "50"),
    ("county", None, "550", "50"),
    ("section", "90", None, "50"),
    ("staff", "90", None, "50"),
]

CONVERSIONS = [
    ("full_day", "", "7.5"),  # 12 days or 90 学时
    ("half_day_lecture", "", "3"),
    ("teaching_factor", "", "2"),
    ("online_tier", "20", "0.5"),
    ("online_tier", "45", "1"),
    ("online_tier", "90", "2"),
    ("online_tier", "135", "3"),
    ("online_tier", "180", "4"),
    ("paper", "national", "10"),
    ("paper", "provincial", "6"),
    ("paper", "city", "3"),
    ("category_cap", "paper", "20"),
    ("category_cap", "teaching", "30"),
    ("category_cap", "study_group", "24"),
    ("category_cap", "other", "20"),
]


def forward(apps, schema_editor):
    Requirement = apps.get_model("credits", "Requirement")
    Conversion = apps.get_model("credits", "Conversion")
    ApprovalPolicy = apps.get_model("credits", "ApprovalPolicy")
    for rank, annual, five, online in REQUIREMENTS:
        Requirement.objects.get_or_create(
            rank=rank,
            unit=None,
            effective_from=FROM,
            defaults={
                "annual_hours": Decimal(annual) if annual else None,
                "five_year_hours": Decimal(five) if five else None,
                "online_hours": Decimal(online),
                "note": BASIS,
            },
        )
    for kind, key, value in CONVERSIONS:
        Conversion.objects.get_or_create(
            kind=kind, key=key, unit=None, effective_from=FROM, defaults={"value": Decimal(value)}
        )
    if not ApprovalPolicy.objects.filter(unit=None).exists():
        ApprovalPolicy.objects.create(unit=None, effective_from=FROM, unit_review=True)


def backward(apps, schema_editor):
    for name in ("Requirement", "Conversion", "ApprovalPolicy"):
        apps.get_model("credits", name).objects.filter(unit=None, effective_from=FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("credits", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
