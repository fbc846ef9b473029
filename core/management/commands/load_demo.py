"""``python manage.py load_demo``: organisations of every kind, one user per role, the three
programs with their special projects, the demo project with its approved budget. Idempotent: running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import demo as accounts_demo
from budgets import demo as budgets_demo
from projects import demo as projects_demo
from reports import demo as reports_demo


class Command(BaseCommand):
    help = "Load demo organisations, one user per role and the three programs (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = accounts_demo.load()
        programs = projects_demo.load()
        budgets_demo.load()
        reports_demo.load()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(users)} users and {programs} special projects created.")
        )
