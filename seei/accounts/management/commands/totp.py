from django.core.management.base import BaseCommand, CommandError

from seei.accounts.twofactor import services


class Command(BaseCommand):
    help = (
        "Print the current two-factor code of a demo account (one enrolled by load_demo with the "
        "published demo secret). Refused for any other account."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        code = services.demo_code(email)
        if code is None:
            raise CommandError(f"{email} is not a demo account with the demo authenticator: no code to show.")
        self.stdout.write(code)
