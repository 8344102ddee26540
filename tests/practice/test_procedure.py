"""A buyer's practice procedure: the whole procedure through the real services on the compressed
clock (one legal day = SEEI_PRACTICE_DAY_SECONDS), simulated companies playing the other side, a
practice award at the end, and nothing of it public or counted."""

from datetime import timedelta

import pytest

from seei.accounts.models import Membership, Organisation, Role
from seei.alerts.models import Notification, WatchProfile
from seei.applications import services as applications
from seei.applications.models import Application, Decision
from seei.auctions.models import Room
from seei.awards import services as awards
from seei.awards.models import Award, AwardStep
from seei.practice import procedure
from seei.practice.models import Rival
from seei.tenders import services as tenders
from seei.tenders.errors import TenderError
from seei.tenders.models import Clarification, Lot, Tender
from tests.alerts.conftest import run_alert_jobs
from tests.api.conftest import ApiClient, token_for
from tests.conftest import Client
from tests.practice.test_practice import open_now, play

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(seconds=60)  # the default SEEI_PRACTICE_DAY_SECONDS


def commission_of(buyer) -> Membership:
    return Membership.objects.get(
        user=buyer.user, organisation=buyer.organisation, role=Role.COMMISSION_MEMBER
    )


def test_the_compressed_schedule_is_for_practice_notices_only(buyer, draft_tender, clock):
    practice = procedure.start(buyer)
    lot = practice.lots.get()
    assert practice.practice and practice.reference.startswith("PRACTICE-")
    assert practice.status == Tender.Status.DRAFT and practice.buyer == buyer.organisation
    assert practice.commission.get().membership == commission_of(buyer)
    assert lot.opens_at - practice.application_deadline == 3 * DAY

    # The same compressed schedule is refused to a real notice: 10 real days of publicity.
    tenders.update_draft(buyer, draft_tender, {"application_deadline": practice.application_deadline})
    draft_tender.lots.update(opens_at=lot.opens_at)
    with pytest.raises(TenderError, match="at least 10 days of publicity"):
        tenders.publish(buyer, draft_tender)

    # A practice notice keeps the rule on its own clock: 10 compressed days, no fewer.
    clock.advance(4 * DAY)
    with pytest.raises(TenderError, match="at least 10 days of publicity"):
        tenders.publish(buyer, practice)


def test_a_practice_procedure_runs_from_publication_to_a_final_award(buyer, company, clock):
    WatchProfile.objects.create(company=company.organisation, name="Tout")  # every notice
    practice = procedure.start(buyer)
    lot = practice.lots.get()
    tenders.publish(buyer, practice)
    run_alert_jobs()
    assert not Notification.objects.filter(user=company.user).exists()  # no alert for a practice notice

    # Day 1: a simulated company asks; the buyer answers. Day 2: the simulated companies apply.
    clock.advance(DAY)
    assert procedure.ask_question(practice.pk) == "asked"
    assert procedure.ask_question(practice.pk) == "already"
    question = Clarification.objects.get(tender=practice)
    tenders.answer_clarification(buyer, question, "Oui, en deux livraisons.")
    clock.advance(DAY)
    assert procedure.submit_applications(practice.pk) == procedure.APPLICANTS
    assert procedure.submit_applications(practice.pk) == 0
    assert Application.objects.filter(tender=practice, company__kind=Organisation.Kind.PRACTICE).count() == 4

    # After the compressed deadline, the buyer acting as its commission admits them all.
    clock.advance(practice.application_deadline - clock.now() + timedelta(seconds=1))
    assert procedure.submit_applications(practice.pk) == 0  # too late: nothing happens
    commission = commission_of(buyer)
    from seei.applications import session

    session.declare_interests(commission, practice, conflict=False)
    applications.open_examination(commission, practice)
    for application in Application.objects.filter(tender=practice):
        applications.decide(commission, application, [(lot, Decision.Outcome.ADMITTED, "")])
    closed_at = clock.now()
    applications.close_examination(commission, practice)

    # The room is prepared with its rivals: the invitation delay is two compressed days.
    lot.refresh_from_db()
    assert lot.status == Lot.Status.SCHEDULED and lot.opens_at >= closed_at + 2 * DAY
    assert lot.opens_at < closed_at + 3 * DAY
    room = Room.objects.get(lot=lot)
    assert room.params["practice"] is True
    assert Rival.objects.filter(bidder__room=room).count() == 4
    procedure.seat_rivals(room)  # idempotent
    assert Rival.objects.filter(bidder__room=room).count() == 4

    # The simulated companies bid through the bid path; the close starts a practice award.
    open_now(lot, clock)
    play(lot, clock, seed=3)
    award = Award.objects.get(lot=lot)
    step = award.current_step()
    assert step.rank == 1 and step.company.kind == Organisation.Kind.PRACTICE
    assert step.documents_deadline - step.requested_at == 5 * DAY

    # A compressed day later the awardee's documents arrive; the commission confirms: final.
    clock.advance(DAY)
    assert procedure.submit_award_documents(award.pk) == "submitted"
    assert procedure.submit_award_documents(award.pk) == "nothing_to_send"
    assert award.current_step().status == AwardStep.Status.SUBMITTED
    awards.confirm(commission, award, 1)
    award.refresh_from_db()
    lot.refresh_from_db()
    assert award.status == Award.Status.FINAL and lot.status == Lot.Status.AWARDED

    # The switch: nothing of it is public or counted.
    client, api = Client(), ApiClient()
    assert not Tender.objects.real().filter(pk=practice.pk).exists()
    for page in (
        "/en/",
        "/en/notices/",
        "/en/notices/?q=chairs",
        "/en/statistics/",
        "/en/statistics/statistics.csv",
    ):
        body = client.get(page).content.decode()
        assert practice.reference not in body and "office chairs" not in body.lower(), page
    assert client.get(f"/en/notices/{practice.pk}/").status_code == 404
    assert client.get(f"/en/awards/lots/{lot.pk}/").status_code == 404
    assert practice.pk not in [notice["id"] for notice in api.get("/notices").json()["items"]]
    assert api.get("/statistics", currency="MAD").json()["totals"]["lots"] == 0


def test_only_a_buyer_agent_starts_a_practice_procedure(company):
    with pytest.raises(TenderError, match="Only a buyer agent"):
        procedure.start(company)


def test_the_api_starts_a_practice_procedure_for_a_buyer_agent(buyer, company, clock):
    created = ApiClient(token_for(buyer)).post("/practice/procedures")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["reference"].startswith("PRACTICE-") and body["status"] == "draft" and body["day_seconds"] == 60
    )
    assert body["commission_membership"] == commission_of(buyer).pk
    assert Tender.objects.get(pk=body["id"]).practice
    assert ApiClient(token_for(company)).post("/practice/procedures").status_code == 403
