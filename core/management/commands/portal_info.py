"""Print how the portal runs (embedded or real services), its URL and the demo logins."""

from django.conf import settings
from django.core.management.base import BaseCommand

from core.demo_loader import demo_modules


class Command(BaseCommand):
    help = "Print the portal's mode, URL and demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options):
        database = settings.DATABASES["default"]
        if settings.EMBEDDED_DATABASE or settings.EMBEDDED_BROKER:
            self.stdout.write(
                self.style.WARNING(
                    "Embedded mode: "
                    + ("SQLite file " + str(database["NAME"]) if settings.EMBEDDED_DATABASE else "PostgreSQL")
                    + " and "
                    + ("the filesystem broker under var/broker" if settings.EMBEDDED_BROKER else "Redis")
                    + " — set DATABASE_URL and CELERY_BROKER_URL to use PostgreSQL and Redis."
                )
            )
        else:
            self.stdout.write(
                f"Services: PostgreSQL database {database['NAME']} on {database.get('HOST') or 'local socket'}, "
                f"broker {settings.CELERY_BROKER_URL.split('://')[0]}."
            )
        self.stdout.write(self.style.SUCCESS(f"Portal: {url}   (health: {url}healthz, API docs: {url}api/docs/)"))
        for module in demo_modules():
            logins = getattr(module, "logins", None)
            if logins is None:
                continue
            password, users = logins()
            self.stdout.write(f"Demo logins (password {password}):")
            for username, real_name, role_label in users:
                self.stdout.write(f"  {username:<16} {real_name}  {role_label}")
