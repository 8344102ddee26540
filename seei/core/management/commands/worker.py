from django.core.management.base import BaseCommand

from seei.core import worker


class Command(BaseCommand):
    help = (
        "Run the task worker (opens and closes the rooms, awards, reminders, practice), started again "
        "after a database outage; stopped by SIGTERM or Ctrl-C once its running jobs are done."
    )

    requires_system_checks = []  # a worker coming back after a crash should be up within a second

    def handle(self, *args, **options):
        worker.run_until_signalled("seei-worker")
