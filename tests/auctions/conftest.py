"""Fixtures of the live-auction tests: a lot with admitted companies and its room, bidding helpers.

The bid path talks to PostgreSQL through its own psycopg connection, which cannot see a test's
uncommitted transaction: tests that bid use ``@pytest.mark.django_db(transaction=True)``.
"""

import asyncio
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from tests.conftest import item_values, lot_values, make_company, make_member, off_loop


@dataclass
class Auction:
    lot: object
    bidders: list  # company members' Memberships, one per admitted company
    buyer: object
    commission: object
    outsiders: list = field(default_factory=list)  # company members of companies not admitted

    @property
    def room(self):
        from seei.auctions.models import Room

        return Room.objects.get(lot=self.lot)

    def pseudonym(self, membership) -> str:
        from seei.auctions.models import Bidder

        return Bidder.objects.get(room__lot=self.lot, company=membership.organisation).pseudonym


def admit(lot, companies, commission_member):
    """Phase 1, written directly: applications, admission decisions, closed examination, invitations."""
    from seei.applications.models import Application, Decision, Examination, Invitation
    from seei.core import clock

    now = clock.now()
    tender = lot.tender
    for membership in companies:
        application, _ = Application.objects.get_or_create(
            tender=tender,
            company=membership.organisation,
            defaults={
                "submitted_by": membership.user,
                "submitted_at": now,
                "updated_at": now,
                "declaration": True,
            },
        )
        application.lots.add(lot)
        Decision.objects.create(
            application=application,
            lot=lot,
            outcome=Decision.Outcome.ADMITTED,
            decided_by=commission_member.user,
            decided_at=now,
        )
        Invitation.objects.create(
            lot=lot, company=membership.organisation, opens_at=lot.opens_at, sent_at=now
        )
    Examination.objects.update_or_create(
        tender=tender,
        defaults={
            "opened_at": now,
            "opened_by": commission_member.user,
            "closed_at": now,
            "closed_by": commission_member.user,
        },
    )
    lot.status = "scheduled"
    lot.save(update_fields=["status"])


def make_auction(buyer, category, region, clock, *, bidders=3, outsiders=1, reference="AO-ROOM-001", **lot):
    """A published notice whose only lot has ``bidders`` admitted companies and a prepared room."""
    from seei.applications.models import CommissionMember
    from seei.auctions import services as auction_services
    from seei.core.translated import make
    from seei.tenders import services

    now = clock.now()
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": "fr",
            "title": make("fr", fr="Lits médicalisés", en="Hospital beds"),
            "object": make("fr", fr="Fourniture de lits médicalisés", en="Supply of hospital beds"),
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    the_lot = services.save_lot(buyer, tender, lot_values(now, **lot), [item_values()])
    services.publish(buyer, tender)
    commission = make_member(
        f"commission@{reference.lower()}.gov.ma", buyer.organisation, "commission_member"
    )
    CommissionMember.objects.create(tender=tender, membership=commission, is_president=True)
    tag = zlib.crc32(reference.encode()) % 10_000
    members = [
        make_company(
            f"Company {i} of {reference}", f"9{tag:04d}{i:010d}", f"bidder{i}@{reference.lower()}.ma"
        )
        for i in range(bidders + outsiders)
    ]
    admit(the_lot, members[:bidders], commission)
    the_lot.refresh_from_db()
    auction_services.prepare_room(the_lot)
    return Auction(the_lot, members[:bidders], buyer, commission, members[bidders:])


@pytest.fixture
def auction(buyer, category, region, clock):
    """Three admitted companies and one that is not, on a lot of the conftest's defaults
    (600,000.00 MAD, min decrement 1,000.00, max 10 %, window and extension 180 s, 5 s between bids)."""
    return make_auction(buyer, category, region, clock)


@pytest.fixture
def admin_member(db):
    from seei.accounts.models import Organisation

    platform = Organisation.objects.create(kind="platform", name="Plateforme SEEI")
    return make_member("admin@seei.example", platform, "administrator")


def open_room(auction, clock, after=timedelta(seconds=1)):
    """Move the clock just past the opening and let the worker open the room."""
    from seei.auctions import services

    clock.advance(auction.room.opens_at - clock.now() + after)
    services.open_room(auction.lot.pk)


def move_before_close(auction, clock, seconds: float):
    """Put the clock ``seconds`` before the room's current closing time, or leave it where it is when it
    is already past that: the clock of record never goes back (a bid would then seem to come before the
    same bidder's last one)."""
    clock.advance(max(timedelta(0), auction.room.closes_at - clock.now() - timedelta(seconds=seconds)))


async def _place(lot_id, user_id, amount, request_id, lang):
    from seei.auctions import bidding

    async with bidding.connection() as conn:
        return await bidding.place_bid(
            conn, lot_id=lot_id, user_id=user_id, amount=amount, request_id=request_id, lang=lang
        )


def bid(auction_or_lot, membership, amount, request_id=None, lang="en"):
    """One bid through the real transaction, on its own connection."""
    lot = getattr(auction_or_lot, "lot", auction_or_lot)
    return off_loop(
        asyncio.run, _place(lot.pk, membership.user_id, amount, request_id or uuid.uuid4().hex, lang)
    )


def ledger_length(lot) -> int:
    from seei.auctions.models import LedgerEntry

    return LedgerEntry.objects.filter(room__lot=lot).count()


def room_row(lot) -> dict:
    """The room's stored state, to compare before and after a refusal."""
    from seei.auctions.models import Room

    return Room.objects.filter(lot=lot).values("status", "state", "seq", "closes_at", "last_hash").get()
