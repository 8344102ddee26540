"""Cancelling a published notice with a reason."""

import pytest
from django.urls import reverse

from seei.alerts import delivery
from seei.alerts.models import Alert
from seei.applications import services as applications
from seei.core.models import AuditEvent
from seei.ocds import steps
from seei.ocds.build import Notice
from seei.ocds.models import Release
from seei.ocds.publish import sync
from seei.tenders import cancellation, services
from seei.tenders.errors import TenderError
from seei.tenders.models import Interest, Lot, Tender
from tests.tenders.buyer_helpers import audited


@pytest.fixture
def as_buyer(client, buyer):
    client.force_login(buyer.user)
    return client


def _cancel(client, tender, reason="Budget withdrawn by the ministry"):
    return client.post(reverse("tenders:cancel", args=[tender.pk]), {"reason": reason})


def test_the_buyer_cancels_a_published_notice(as_buyer, published_tender, company):
    services.record_interest(published_tender, company.organisation, Interest.Kind.DOWNLOAD)
    assert as_buyer.get(reverse("tenders:cancel", args=[published_tender.pk])).status_code == 200
    assert _cancel(as_buyer, published_tender).status_code == 302
    published_tender.refresh_from_db()
    assert published_tender.status == Tender.Status.CANCELLED
    assert published_tender.cancellation_reason == "Budget withdrawn by the ministry"
    assert set(published_tender.lots.values_list("status", flat=True)) == {Lot.Status.CANCELLED}
    assert audited("tender.cancelled", published_tender.pk)
    # The followers are alerted through the alerts' own mechanism, as for an erratum.
    assert delivery.record(Alert.Kind.CANCELLATION, published_tender.pk) == 1
    alert = Alert.objects.get(company=company.organisation)
    assert alert.key == f"cancelled:{published_tender.pk}"


def test_the_public_page_says_cancelled_with_the_reason(as_buyer, client, published_tender):
    _cancel(as_buyer, published_tender)
    client.logout()
    html = client.get(reverse("portal:tender", args=[published_tender.pk])).content.decode()
    assert "This notice is cancelled." in html
    assert "Budget withdrawn by the ministry" in html
    assert 'data-testid="apply-link"' not in html


def test_applications_close(as_buyer, published_tender, company):
    _cancel(as_buyer, published_tender)
    published_tender.refresh_from_db()
    with pytest.raises(TenderError, match="not open for applications"):
        applications._require_open(published_tender, published_tender.published_at)


def test_the_ocds_cancellation_is_dated_by_the_audit(buyer, published_tender, clock):
    cancellation.cancel(buyer, published_tender, "Budget withdrawn")
    published_tender.refresh_from_db()
    at = AuditEvent.objects.get(action="tender.cancelled", object_id=str(published_tender.pk)).at
    found = [s for s in steps.due(Notice(published_tender)) if s.key == "cancellation"]
    assert [s.at for s in found] == [at]
    sync(published_tender.pk)  # the releases are built and stored
    release = Release.objects.get(tender=published_tender, step="cancellation")
    assert release.date == at and release.data["tender"]["status"] == "cancelled"


def test_a_reason_is_required(as_buyer, published_tender):
    response = _cancel(as_buyer, published_tender, reason="  ")
    assert response.status_code == 200
    published_tender.refresh_from_db()
    assert published_tender.status == Tender.Status.PUBLISHED


@pytest.mark.parametrize("status", [Lot.Status.RUNNING, Lot.Status.CLOSED, Lot.Status.AWARDED])
def test_refused_once_an_auction_has_opened(buyer, published_tender, status):
    published_tender.lots.update(status=status)
    with pytest.raises(TenderError, match="has already opened"):
        cancellation.cancel(buyer, published_tender, "Too late")
    published_tender.refresh_from_db()
    assert published_tender.status == Tender.Status.PUBLISHED


def test_a_draft_is_deleted_not_cancelled(buyer, draft_tender):
    with pytest.raises(TenderError, match="Only a published notice"):
        cancellation.cancel(buyer, draft_tender, "No")


def test_another_organisation_and_other_roles_cannot_cancel(client, published_tender, other_buyer, company):
    for membership in (other_buyer, company):
        client.force_login(membership.user)
        assert _cancel(client, published_tender).status_code == 403
    with pytest.raises(TenderError):
        cancellation.cancel(other_buyer, published_tender, "Not mine")
    published_tender.refresh_from_db()
    assert published_tender.status == Tender.Status.PUBLISHED


def test_a_scheduled_room_never_opens_once_cancelled(buyer, category, region, clock):
    from datetime import timedelta

    from seei.auctions import bidding
    from seei.auctions import services as auctions
    from seei.auctions.models import Room
    from tests.auctions.conftest import make_auction

    auction = make_auction(buyer, category, region, clock, bidders=2, outsiders=0)
    lot, bidder = auction.lot, auction.bidders[0]
    before = bidding.access_sync(lot_id=lot.pk, user_id=bidder.user_id, membership_id=bidder.pk)
    assert before.allowed
    cancellation.cancel(buyer, lot.tender, "The need disappeared")
    clock.advance(lot.opens_at - clock.now() + timedelta(minutes=1))
    assert auctions.open_room(lot.pk).status == "cancelled"
    assert auctions.close_room(lot.pk).status == "cancelled"
    auctions.sweep()
    assert Room.objects.get(lot=lot).status == Room.Status.SCHEDULED
    access = bidding.access_sync(lot_id=lot.pk, user_id=bidder.user_id, membership_id=bidder.pk)
    assert not access.allowed
