from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from seei.core import collector, worker


class Command(BaseCommand):
    help = (
        "Run the task worker (opens and closes the rooms, awards, reminders, practice), started again "
        "after a database outage; stopped by SIGTERM or Ctrl-C once its running jobs are done."
    )

    requires_system_checks = []  # a worker coming back after a crash should be up within a second

    def add_arguments(self, parser):
        parser.add_argument(
            "--lane",
            action="append",
            choices=worker.LANES,
            help=(
                "run only this lane (repeatable; default: all): 'clock' opens and closes the rooms, "
                "'jobs' runs every other job, alone at a lower CPU priority (SEEI_WORKER_JOBS_NICE). "
                "A busy platform runs the clock in a process of its own."
            ),
        )

    def handle(self, *args, **options):
        # The URLs imported now (seconds), not by the first close's links, inside its transaction
        # while the lot's row is locked and its bidders wait.
        reverse("portal:home")
        collector.steady()  # as in a room process: a close holds its lot's lock (seei.core.collector)
        lanes = tuple(options["lane"] or ())
        names = lanes or worker.LANES
        worker.yield_the_cores(names, settings.SEEI_WORKER_JOBS_NICE)
        worker.run_until_signalled("-".join(("seei-worker", *lanes)), names)
