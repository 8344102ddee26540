"""The platform administrator's incident suspension: every running room paused, time credited on resume."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from seei.alerts.models import Notification
from seei.auctions import rules, selectors, services, signing
from seei.auctions.models import LedgerEntry, Suspension
from seei.auctions.verify import verify_ledger
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError

from .conftest import bid, ledger_length, make_auction, open_room, room_row

pytestmark = pytest.mark.django_db(transaction=True)


def test_suspension_credits_the_remaining_time_and_is_in_the_ledger(auction, admin_member, clock):
    open_room(auction, clock)
    bid(auction, auction.bidders[0], "590000")
    clock.advance(timedelta(minutes=10))
    remaining = auction.room.closes_at - services.db_now()

    suspension = services.suspend_all(admin_member, "Panne du centre de données")

    room = auction.room
    assert room.status == "suspended"
    suspended = LedgerEntry.objects.get(room=room, type="suspend")
    assert suspended.seq == 2 and suspension.lots == [auction.lot.pk]
    during = bid(auction, auction.bidders[1], "580000")
    assert (during.accepted, during.reason) == (False, "suspended")
    assert during.snapshot["suspended"] and during.snapshot["status"] == "suspended"
    assert services.close_room(auction.lot.pk).status == "suspended"

    clock.advance(timedelta(minutes=45))  # longer than the time that was left: the room must not close
    services.resume_all(admin_member)

    room = auction.room
    resumed = LedgerEntry.objects.get(room=room, type="resume")
    assert room.status == "open" and resumed.seq == 3
    assert abs((room.closes_at - resumed.at) - remaining) < timedelta(seconds=2)
    assert room.closes_at - resumed.at == rules.parse_time(room.params["closes_at"]) - suspended.at
    assert Suspension.objects.get().ended_at is not None
    assert bid(auction, auction.bidders[1], "580000").accepted
    clock.advance(room.closes_at - services.db_now() + timedelta(seconds=1))
    assert services.close_room(auction.lot.pk).status == "closed"
    report = verify_ledger(
        selectors.ledger_document(auction.room), public_key=signing.private_key().public_key()
    )
    assert report.ok, report.errors
    assert report.closes_at == auction.room.closes_at


def test_suspension_is_audited_and_everyone_concerned_is_told(auction, admin_member, clock):
    open_room(auction, clock)

    services.suspend_all(admin_member, "Panne du centre de données")
    services.resume_all(admin_member)

    suspended = AuditEvent.objects.get(action="auction.suspended")
    assert suspended.actor == admin_member.user and suspended.data["reason"] == "Panne du centre de données"
    assert AuditEvent.objects.filter(action="auction.resumed", actor=admin_member.user).exists()
    for member in [*auction.bidders, auction.buyer, auction.commission]:
        subjects = set(Notification.objects.filter(user=member.user).values_list("subject", flat=True))
        assert {"Auctions suspended: platform incident", "Auctions resumed"} <= subjects
    told = Notification.objects.get(user=auction.bidders[0].user, subject__startswith="Auctions suspended")
    assert "Panne du centre de données" in told.body
    assert not Notification.objects.filter(user=auction.outsiders[0].user).exists()


def test_only_an_administrator_can_suspend(auction, clock):
    open_room(auction, clock)
    before = room_row(auction.lot)

    for member in (auction.buyer, auction.bidders[0], None):
        with pytest.raises(PermissionDenied) as error:
            services.suspend_all(member, "Essai")
        assert str(error.value) == "Only a platform administrator can suspend or resume the auctions."

    assert room_row(auction.lot) == before and not Suspension.objects.exists()


def test_a_suspension_needs_a_reason_and_happens_once(auction, admin_member, clock):
    open_room(auction, clock)
    with pytest.raises(TenderError) as error:
        services.suspend_all(admin_member, "  ")
    assert error.value.message_dict == {
        "reason": ["Give the reason for the suspension: it is told to every bidder."]
    }
    assert not Suspension.objects.exists()

    services.suspend_all(admin_member, "Incident")
    length = ledger_length(auction.lot)
    with pytest.raises(TenderError) as error:
        services.suspend_all(admin_member, "Incident again")
    assert error.value.messages == ["The auctions are already suspended."]
    assert ledger_length(auction.lot) == length and Suspension.objects.count() == 1


def test_resume_without_suspension_is_refused(admin_member):
    with pytest.raises(TenderError) as error:
        services.resume_all(admin_member)
    assert error.value.messages == ["No suspension is in progress."]


def test_a_room_that_opens_during_the_incident_opens_suspended(
    auction, admin_member, buyer, category, region, clock
):
    later = make_auction(
        buyer,
        category,
        region,
        clock,
        reference="AO-ROOM-002",
        bidders=2,
        outsiders=0,
        opens_at=clock.now() + timedelta(days=15),
    )
    open_room(auction, clock)

    services.suspend_all(admin_member, "Incident")
    assert later.room.status == "scheduled"  # not open yet: nothing to pause
    clock.advance(later.room.opens_at - services.db_now() + timedelta(seconds=1))
    assert services.open_room(later.lot.pk).status == "opened"
    assert later.room.status == "suspended"
    assert LedgerEntry.objects.filter(room=later.room, type="suspend").exists()

    clock.advance(timedelta(hours=2))
    services.resume_all(admin_member)

    room = later.room
    resumed = LedgerEntry.objects.get(room=room, type="resume")
    suspended = LedgerEntry.objects.get(room=room, type="suspend")
    # The whole duration is still ahead: the room was paused from its first second.
    assert room.closes_at - resumed.at == rules.parse_time(room.params["closes_at"]) - suspended.at
    assert Suspension.objects.get().lots == [auction.lot.pk, later.lot.pk]
