import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_record"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="generatedfile",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="审批时间"),
        ),
        migrations.AddField(
            model_name="generatedfile",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="审批人",
            ),
        ),
        migrations.AlterField(
            model_name="generatedfile",
            name="status",
            field=models.CharField(
                choices=[
                    ("awaiting", "待审批"),
                    ("pending", "排队中"),
                    ("running", "生成中"),
                    ("done", "已完成"),
                    ("failed", "失败"),
                ],
                default="pending",
                max_length=10,
                verbose_name="状态",
            ),
        ),
    ]
