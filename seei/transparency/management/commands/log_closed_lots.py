from django.core.management.base import BaseCommand

from seei.transparency import services


class Command(BaseCommand):
    help = (
        "Append to the transparency log every closed real lot not in it yet, in the order they closed "
        "(once, on a database whose auctions closed before the log existed; closes append by themselves)."
    )

    def handle(self, *args, **options):
        count = services.append_missing()
        self.stdout.write(f"{count} closed lot(s) appended to the transparency log.")
