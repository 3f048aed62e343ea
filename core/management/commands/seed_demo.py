from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo_context import DEMO_PASSWORD, DemoContext
from core.registry import app_hooks


class Command(BaseCommand):
    help = "Create (or top up) the demo data. Safe to run again: counts stay the same."

    def handle(self, *args, **options):
        ctx = DemoContext()
        with transaction.atomic():
            for seed in app_hooks("demo", "seed"):
                seed(ctx)
        for line in ctx.log:
            self.stdout.write(line)
        counts = {
            m._meta.label: m.objects.count()
            for m in apps.get_models()
            if m._meta.app_label in settings.LECTERN_APPS
        }
        summary = ", ".join(f"{k.split('.')[-1]} {v}" for k, v in counts.items() if v)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {summary}"))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(ctx.users))
