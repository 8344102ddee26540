"""``seei publish_ocds``: store the OCDS releases of every step not published yet (the backfill of
existing data; safe to run any time, it never rewrites a release)."""

from django.core.management.base import BaseCommand

from seei.ocds.publish import sync_all


class Command(BaseCommand):
    help = "Publish the OCDS release of every step of every real notice that has none yet."

    def handle(self, *args, **options):
        stored = sync_all()
        self.stdout.write(f"{stored} OCDS releases stored.")
