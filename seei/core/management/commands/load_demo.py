from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from seei.accounts.twofactor import services as second_factor
from seei.demo import DEMO_PASSWORD, load
from seei.practice.services import ensure_public


def is_demo_database() -> bool:
    """The embedded default (``var/pgdata``, no DATABASE_URL) is the demo's own database. Any other may
    be a real platform's: the demo's accounts (administrator included) share one published password."""
    return connection.settings_dict["ENGINE"] == "seei.embedded"


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load the demo into a database other than the embedded default (DATABASE_URL): a "
            "database for trying SEEI out, never a real platform's.",
        )

    def handle(self, *args, force=False, **options):
        if not (force or is_demo_database()):
            raise CommandError(
                f"{connection.settings_dict['NAME']!r} is not the demo's embedded database: the demo adds "
                f"accounts (an administrator among them) whose password is public ({DEMO_PASSWORD}). "
                "Run it with --force only on a database made for trying SEEI out."
            )
        accounts = load()
        ensure_public()  # open within seconds of the site serving, then on a loop
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Log in at {settings.SITE_URL}/ with:"))
        for role, email in accounts:
            self.stdout.write(f"  {role:<42} {email:<34} password: {DEMO_PASSWORD}")
        self.stdout.write(f"Watch or join the public practice auction: {settings.SITE_URL}/fr/practice/")
        self.stdout.write(second_factor.DEMO_NOTICE)
