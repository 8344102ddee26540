from django.core.management.base import BaseCommand

from seei.auctions import services


class Command(BaseCommand):
    help = "Open and close every auction room that is due (what the worker's periodic sweep does)."

    def handle(self, *args, **options):
        done = services.sweep()
        self.stdout.write(f"Rooms opened: {done['opened']}, closed: {done['closed']}.")
