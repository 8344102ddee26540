"""The back office (/admin/) cannot bypass the procedure: the records of a notice, its lots, bids,
ledger and awards are read-only there, and who bids, applied or asked stays sealed from every staff
member, superusers included, until the award is final, or to the audited break-glass group."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from seei.core import audit, clock
from seei.core.models import AuditEvent
from seei.core.sealed_admin import BREAK_GLASS_GROUP
from tests.conftest import Client

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/auctions/bidder/",
    "/admin/auctions/bidattempt/",
    "/admin/core/auditevent/",
    "/admin/tenders/clarification/",
    "/admin/tenders/interest/",
    "/admin/alerts/notification/",
    "/admin/awards/award/",
]


@pytest.fixture
def staff(db):
    from seei.accounts.models import User

    user = User.objects.create_superuser(email="staff@tresor.gov.ma", password="a-long-staff-passphrase-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # /admin/ has no language prefix
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def traces(auction):
    """What the procedure leaves behind about the first bidder: its bidder row, a bid attempt, an
    application event, a question, an interest, a notification, a provisional award."""
    from seei.alerts.models import Notification
    from seei.applications.models import Application
    from seei.auctions.models import BidAttempt, Bidder
    from seei.awards.models import Award, AwardStep
    from seei.tenders.models import Clarification, Interest

    member = auction.bidders[0]
    tender, now = auction.lot.tender, clock.now()
    bidder = Bidder.objects.get(room__lot=auction.lot, company=member.organisation)
    BidAttempt.objects.create(
        room=auction.room,
        bidder=bidder,
        user=member.user,
        amount_text="590000",
        at=now,
        outcome="accepted",
        request_id="r-1",
    )
    application = Application.objects.get(tender=tender, company=member.organisation)
    audit.record("application.submitted", application, member.user, member.organisation)
    Clarification.objects.create(
        tender=tender, company=member.organisation, asked_by=member.user, question="Which size?", asked_at=now
    )
    Interest.objects.create(tender=tender, company=member.organisation, kind="download", at=now)
    Notification.objects.create(
        user=member.user, subject="Your application was received", body="-", created_at=now
    )
    award = Award.objects.create(
        lot=auction.lot, currency="MAD", company=member.organisation, amount=Decimal("590000"), created_at=now
    )
    AwardStep.objects.create(
        award=award,
        rank=1,
        bidder=bidder,
        company=member.organisation,
        amount=Decimal("590000"),
        requested_at=now,
        documents_deadline=now,
    )
    return member, bidder, award


def names(member) -> list[str]:
    return [member.organisation.name, member.user.email, str(member.user)]


def pages(staff, bidder, award) -> dict[str, str]:
    from seei.tenders.models import Clarification

    question = Clarification.objects.get(tender__lots=award.lot_id)
    urls = [
        *PAGES,
        f"/admin/auctions/bidder/{bidder.pk}/change/",
        f"/admin/awards/award/{award.pk}/change/",
        f"/admin/tenders/clarification/{question.pk}/change/",  # who asked it, too
    ]
    shown = {}
    for url in urls:
        response = staff.get(url)
        assert response.status_code == 200, url
        shown[url] = response.content.decode()
    return shown


def test_no_staff_member_sees_who_is_behind_a_pseudonym_before_the_award_is_final(staff, traces):
    member, bidder, award = traces
    for url, page in pages(staff, bidder, award).items():
        for name in names(member):
            assert name not in page, (url, name)
    assert "sealed until the award is final" in staff.get("/admin/auctions/bidder/").content.decode()
    assert not AuditEvent.objects.filter(action="identity.revealed").exists()


def test_the_identities_show_once_the_award_is_final(staff, traces):
    from seei.tenders.models import Lot

    member, bidder, award = traces
    award.status = award.Status.FINAL
    award.save()
    Lot.objects.filter(pk=award.lot_id).update(status=Lot.Status.AWARDED)
    shown = pages(staff, bidder, award)
    for url in ("/admin/auctions/bidder/", "/admin/tenders/clarification/", "/admin/awards/award/"):
        assert member.organisation.name in shown[url], url
    assert str(member.user) in shown["/admin/auctions/bidattempt/"]
    assert str(member.user) in shown["/admin/core/auditevent/"]
    assert not AuditEvent.objects.filter(action="identity.revealed").exists()


def test_break_glass_shows_the_identities_and_writes_each_look_to_the_audit_log(staff, traces):
    member, bidder, award = traces
    staff.user.groups.add(Group.objects.create(name=BREAK_GLASS_GROUP))
    granted = AuditEvent.objects.get(action="break_glass.granted")
    assert (granted.object_type, granted.object_id) == ("accounts.user", str(staff.user.pk))
    page = staff.get(f"/admin/auctions/bidder/{bidder.pk}/change/").content.decode()
    assert member.organisation.name in page
    looks = AuditEvent.objects.filter(action="identity.revealed", actor=staff.user)
    assert [(e.object_type, e.object_id, e.data["field"]) for e in looks] == [
        ("auctions.bidder", str(bidder.pk), "company")
    ]
    assert str(member.user) in staff.get("/admin/auctions/bidattempt/").content.decode()
    assert looks.filter(object_type="auctions.bidattempt").count() == 1


def test_no_staff_member_changes_a_published_notice_or_its_lot(staff, published_tender):
    lot = published_tender.lots.get()
    tender_url = f"/admin/tenders/tender/{published_tender.pk}/change/"
    lot_url = f"/admin/tenders/lot/{lot.pk}/change/"
    assert 'name="_save"' not in staff.get(tender_url).content.decode()
    assert 'data-inline-type="tabular"' in staff.get(lot_url).content.decode()  # its items, as a table
    assert staff.post(tender_url, {"reference": "HACKED"}).status_code == 403
    assert staff.post(lot_url, {"starting_price": "1.00"}).status_code == 403
    assert (
        staff.post(f"/admin/tenders/tender/{published_tender.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    for url in ("/admin/tenders/tender/add/", "/admin/auctions/ledgerentry/add/", "/admin/awards/award/add/"):
        assert staff.get(url).status_code == 403, url
    published_tender.refresh_from_db()
    lot.refresh_from_db()
    assert published_tender.reference != "HACKED" and lot.starting_price != Decimal("1.00")


@pytest.mark.parametrize(
    "query",
    [
        "/admin/auctions/bidder/?company={org}",
        "/admin/auctions/bidder/?company_id={org}",
        "/admin/auctions/bidder/?company__id__exact={org}",
        "/admin/auctions/bidattempt/?user={user}",
        "/admin/core/auditevent/?organisation={org}",
        "/admin/core/auditevent/?actor__exact={user}",
        "/admin/tenders/clarification/?company={org}",
        "/admin/tenders/interest/?company={org}",
        "/admin/alerts/notification/?user={user}",
        "/admin/awards/award/?company={org}",
    ],
)
def test_a_list_cannot_be_filtered_by_a_sealed_identity_from_the_address(staff, traces, query):
    """``?company=5`` would list the pseudonyms (or questions, events…) of one company: refused (400)."""
    member, _bidder, _award = traces
    url = query.format(org=member.organisation.pk, user=member.user.pk)
    assert staff.get(url).status_code == 400, url


def test_the_notifications_list_asks_once_per_person_whether_to_seal_them(staff, traces):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from seei.alerts.models import Notification

    member = traces[0]

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get("/admin/alerts/notification/").status_code == 200
        return len(captured)

    one = queries()
    Notification.objects.bulk_create(
        Notification(user=member.user, subject=f"Invitation {n}", body="-", created_at=clock.now())
        for n in range(5)
    )
    assert queries() == one
