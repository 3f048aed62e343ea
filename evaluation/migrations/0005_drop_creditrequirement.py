# The yearly requirement per rank is credits' policy data (credits.Requirement); the rows an
# administrator changed were carried over by credits 0005_requirements_from_evaluation, which runs
# before this one.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0004_field_verbose_names"),
    ]

    operations = [
        migrations.DeleteModel(name="CreditRequirement"),
    ]
