import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credits", "0002_national_defaults"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OnlineImport",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="创建时间"),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("filename", models.CharField(max_length=200, verbose_name="文件名")),
                (
                    "status",
                    models.CharField(
                        choices=[("preview", "待确认"), ("committed", "已导入")],
                        default="preview",
                        max_length=10,
                        verbose_name="状态",
                    ),
                ),
                ("rows", models.JSONField(default=list, verbose_name="数据行")),
                (
                    "imported",
                    models.PositiveIntegerField(default=0, verbose_name="导入条数"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="导入人",
                    ),
                ),
            ],
            options={
                "verbose_name": "网络学院导入",
                "verbose_name_plural": "网络学院导入",
                "ordering": ["-created_at"],
            },
        ),
    ]
