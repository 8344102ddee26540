import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from seei.auctions import selectors
from seei.auctions.models import Room


class Command(BaseCommand):
    help = "Write the anonymised ledger of a lot (format seei-ledger/1), to check it with `seei verify`."

    def add_arguments(self, parser):
        parser.add_argument("lot_id", type=int)
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, lot_id, output=None, **options):
        room = Room.objects.select_related("lot__tender").filter(lot_id=lot_id).first()
        if room is None:
            raise CommandError(f"Lot {lot_id} has no auction room.")
        text = json.dumps(selectors.ledger_document(room), ensure_ascii=False, indent=1)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Ledger of {room.ref} ({room.status}) written to {output}.")
        else:
            self.stdout.write(text)
