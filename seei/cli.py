"""The ``seei`` command: Django's management commands, plus ``seei verify LEDGER.json``."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else ["seei", *argv])
    if len(argv) > 1 and argv[1] == "verify":
        # The verifier needs no server, no database and no Django.
        from seei.auctions.verify import main as verify

        return verify(argv[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seei.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
