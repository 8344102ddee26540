from django.conf import settings
from django.core.management.base import BaseCommand

from seei.demo import DEMO_PASSWORD, load


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo accounts."

    def handle(self, *args, **options):
        accounts = load()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Log in at {settings.SITE_URL}/ with:"))
        for role, email in accounts:
            self.stdout.write(f"  {role:<42} {email:<34} password: {DEMO_PASSWORD}")
