from collections import Counter

from django.core.management.base import BaseCommand

from seei.redflags import rules, selectors


class Command(BaseCommand):
    help = (
        "Compute the integrity red flags of a year (and keep them in the cache) and print how many of each."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--list", action="store_true", help="Print each flag with its figures.")

    def handle(self, *args, year, **options):
        flags = selectors.year_flags(year)
        counts = Counter(flag.code for flag in flags)
        for code in rules.CODES:
            self.stdout.write(f"{code:<8} {counts[code]:>4}  {selectors.texts.TITLES[code]}")
        notices = len({flag.tender_id for flag in flags})
        self.stdout.write(f"{len(flags)} red flags on {notices} notices in {year}.")
        if options["list"]:
            for flag in flags:
                lot = f"/{flag.lot_number}" if flag.lot_number else ""
                self.stdout.write(f"{flag.code:<8} {flag.reference}{lot}  {flag.figures}")
