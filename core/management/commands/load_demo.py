"""``python manage.py load_demo``: every installed app's demo data (``core.demo_loader``): organisations
of every kind, one user per role, the three programs with their special projects, the demo
project with its approved budget and its reports. Idempotent: running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo_loader import demo_modules


class Command(BaseCommand):
    help = "Load demo organisations, one user per role and the three programs (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        created = []
        for module in demo_modules():
            result = module.load()
            summary = getattr(module, "summary", None)
            if summary is not None:
                created.append(summary(result))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {' and '.join(created)} created."))
