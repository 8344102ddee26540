from django.conf import settings
from django.core.management.base import BaseCommand

from seei.accounts.twofactor import services as second_factor
from seei.demo import DEMO_PASSWORD, load
from seei.practice.services import ensure_public


class Command(BaseCommand):
    help = "Load the demo data (idempotent) and print the demo accounts."

    def handle(self, *args, **options):
        accounts = load()
        ensure_public()  # open within seconds of the site serving, then on a loop
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Log in at {settings.SITE_URL}/ with:"))
        for role, email in accounts:
            self.stdout.write(f"  {role:<42} {email:<34} password: {DEMO_PASSWORD}")
        self.stdout.write(f"Watch or join the public practice auction: {settings.SITE_URL}/fr/practice/")
        self.stdout.write(second_factor.DEMO_NOTICE)
