"""Each role's workspace (the dashboard, first page after login): what needs the person now, then the rest.

Every item appears when its situation exists and not otherwise, another organisation's things never
appear, practice is never mixed with real work, and the page costs a bounded number of queries.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from seei.accounts.models import Organisation
from seei.applications import session
from seei.applications.models import CommissionMember, Invitation
from seei.tenders import services
from seei.tenders.models import Lot, Tender
from tests.awards.conftest import close_auction, fes_accountant, finalise, grant_visa, ministry_accountant
from tests.conftest import lot_values, make_company, make_member

DASHBOARD = "/en/dashboard/"


def page(client, membership, path=DASHBOARD):
    client.force_login(membership.user)
    response = client.get(path)
    assert response.status_code == 200, response
    return response


def todos(response) -> list[str]:
    return [f"{item.label} | {item.subject}" for item in response.context["todos"]]


def count_queries(client, membership) -> int:
    client.force_login(membership.user)
    client.get(DASHBOARD)  # what is cached once per process (the announcements) is not the page's cost
    with CaptureQueriesContext(connection) as queries:
        assert client.get(DASHBOARD).status_code == 200
    return len(queries)


def another_notice(buyer, category, region, clock, reference, *, publish=True, **lot):
    from tests.conftest import item_values

    now = clock.now()
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": "fr",
            "title": {"fr": f"Avis {reference}"},
            "object": {"fr": "Fournitures"},
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=10, hours=1),
        },
    )
    services.save_lot(buyer, tender, lot_values(now, **lot), [item_values()])
    return services.publish(buyer, tender) if publish else tender


def watch_category(company, category):
    from seei.alerts.models import WatchProfile

    WatchProfile.objects.create(company=company.organisation, name="Santé").categories.set([category])


# The company ---------------------------------------------------------------------------------------


def test_a_company_with_nothing_to_do_is_told_so(client, company):
    response = page(client, company)
    assert response.context["todos"] == []
    assert 'data-testid="nothing-to-do"' in response.content.decode()


def test_a_company_sees_the_rooms_it_is_invited_to_with_a_countdown_and_practice_first(
    client, company, other_company, published_tender, clock
):
    lot = published_tender.lots.get()
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.SCHEDULED)
    Invitation.objects.create(
        lot=lot, company=company.organisation, opens_at=lot.opens_at, sent_at=clock.now()
    )

    response = page(client, company)
    html = response.content.decode()
    assert todos(response) == [f"Auction room opens | AO-2026-001 / 1 — {lot.title}"]
    assert reverse("auctions:enter", args=[lot.pk]) in html and reverse("practice:home") in html
    assert "(in 1\xa0week, 6\xa0days" in html  # the countdown to the opening (in 14 days, less a moment)
    assert page(client, other_company).context["rooms"] == []  # never another company's invitation

    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.CLOSED)  # the room is over: nothing to do
    assert page(client, company).context["todos"] == []


def test_a_practice_room_is_labelled_practice(client, company, published_tender, clock):
    lot = published_tender.lots.get()
    Tender.objects.filter(pk=published_tender.pk).update(practice=True)
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.RUNNING)
    Invitation.objects.create(
        lot=lot, company=company.organisation, opens_at=lot.opens_at, sent_at=clock.now()
    )

    (item,) = page(client, company).context["todos"]
    assert item.practice and item.label == "Bid in the running auction"


def test_opportunities_are_open_real_notices_matching_its_interests_closing_soonest_first(
    client, company, buyer, published_tender, category, region, clock
):
    from tests.portal.test_views import Category

    other_category = Category.objects.create(code="T-ENERGIE", name={"fr": "Énergie"})
    another_notice(buyer, category, region, clock, "AO-SOON-1")  # closes in 10 days, before the fixture's 11
    another_notice(buyer, other_category, region, clock, "AO-OTHER-1")
    practice = another_notice(buyer, category, region, clock, "AO-PRACTICE-1")
    Tender.objects.filter(pk=practice.pk).update(practice=True)
    another_notice(buyer, category, region, clock, "AO-DRAFT-1", publish=False)
    watch_category(company, category)

    response = page(client, company)
    assert [card.reference for card in response.context["notices"]] == ["AO-SOON-1", "AO-2026-001"]

    clock.advance(timedelta(days=10, hours=2))  # the first one closed: no longer an opportunity
    assert [card.reference for card in page(client, company).context["notices"]] == ["AO-2026-001"]
    clock.advance(timedelta(days=1))
    assert page(client, company).context["notices"] == []


def test_without_a_watch_profile_opportunities_come_from_the_categories_it_applied_in(
    client, company, buyer, published_tender, category, region, clock
):
    from seei.applications.models import Application

    assert page(client, company).context["notices"] == []  # nothing known of its interests yet
    Application.objects.create(
        tender=published_tender,
        company=company.organisation,
        submitted_by=company.user,
        submitted_at=clock.now(),
        updated_at=clock.now(),
    )
    another_notice(buyer, category, region, clock, "AO-NEXT-1")
    response = page(client, company)
    assert [card.reference for card in response.context["notices"]] == [
        "AO-NEXT-1"
    ]  # applied one: listed apart
    assert [a.tender.reference for a in response.context["applications"]] == ["AO-2026-001"]


def test_answers_to_its_questions_are_listed_for_it_only(
    client, company, other_company, buyer, published_tender
):
    question = services.ask_clarification(company, published_tender, "Quelle largeur d'assise ?")
    html = page(client, company).content.decode()
    assert "Quelle largeur d&#x27;assise ?" in html and "Awaiting an answer" in html
    services.answer_clarification(buyer, question, "45 cm.", "Quelle largeur ?")
    html = page(client, company).content.decode()
    assert f"#clarification-{question.pk}" in html
    assert page(client, other_company).context["questions"] == []


@pytest.fixture
def closed(buyer, category, region, clock):
    """A lot whose auction closed: the award asks the best bidder for its documents."""
    return close_auction(buyer, category, region, clock)


def test_award_documents_due_are_on_the_candidate_s_list_with_their_deadline(client, closed, clock):
    best, second = closed.ranked[0], closed.ranked[1]
    step = closed.award.current_step()

    (item,) = page(client, best).context["todos"]
    assert item.label == "Send the award documents" and item.due == step.documents_deadline
    assert item.url == reverse("awards:detail", args=[closed.award.pk])
    assert page(client, second).context["todos"] == []  # not asked (yet): nothing to do

    finalise(closed)  # documents sent and the award confirmed
    assert page(client, best).context["todos"] == []


def test_payments_received_are_listed_for_the_awarded_company(client, closed, buyer_org, clock):
    from seei.awards import services as awards

    finalise(closed)
    accountant = ministry_accountant(buyer_org)
    grant_visa(closed, accountant)
    awards.record_payment(accountant, closed.award, clock.today(), Decimal("100000.00"), "OP-2026-77")

    html = page(client, closed.ranked[0]).content.decode()
    assert "OP-2026-77" in html and 'data-testid="payment"' in html
    assert 'data-testid="payment"' not in page(client, closed.ranked[1]).content.decode()


# The buyer agent -----------------------------------------------------------------------------------


def stage_refs(response, key):
    (stage,) = [s for s in response.context["stages"] if s["key"] == key]
    return [tender.reference for tender in stage["notices"]]


def test_the_buyer_sees_its_notices_by_stage(
    client, buyer, other_buyer, draft_tender, category, region, clock
):
    another_notice(buyer, category, region, clock, "AO-PUB-1")
    cancelled = another_notice(buyer, category, region, clock, "AO-CANCEL-1")
    Tender.objects.filter(pk=cancelled.pk).update(status=Tender.Status.CANCELLED)

    response = page(client, buyer)
    assert stage_refs(response, "draft") == ["AO-2026-001"]
    assert stage_refs(response, "accepting") == ["AO-PUB-1"]
    assert stage_refs(response, "cancelled") == ["AO-CANCEL-1"]
    assert response.context["todos"] == []
    assert all(stage["count"] == 0 for stage in page(client, other_buyer).context["stages"])

    clock.advance(timedelta(days=10, hours=2))  # deadline passed: waiting for the commission
    assert stage_refs(page(client, buyer), "examination") == ["AO-PUB-1"]


def test_the_buyer_is_asked_to_answer_questions_then_to_convene_the_commission(
    client, buyer, other_buyer, company, published_tender, clock
):
    question = services.ask_clarification(company, published_tender, "Quelle garantie ?")
    (item,) = page(client, buyer).context["todos"]
    assert item.label == "Answer 1 question" and item.due == published_tender.application_deadline
    assert item.url == reverse("tenders:clarifications", args=[published_tender.pk])
    assert page(client, other_buyer).context["todos"] == []
    html = page(client, buyer).content.decode()
    assert company.organisation.name not in html  # never who asked, nor who applied

    services.answer_clarification(buyer, question, "Deux ans.", "Quelle garantie ?")
    assert page(client, buyer).context["todos"] == []

    clock.advance(timedelta(days=12))
    assert todos(page(client, buyer)) == [
        f"The deadline has passed: appoint the commission | AO-2026-001 — {published_tender.title}"
    ]
    president = make_member("president@sante.gov.ma", buyer.organisation, "commission_member")
    CommissionMember.objects.create(tender=published_tender, membership=president, is_president=True)
    (item,) = page(client, buyer).context["todos"]
    assert item.label == "The deadline has passed: convene the commission"


def test_an_unsuccessful_lot_is_offered_for_relaunch(client, buyer, published_tender):
    lot = published_tender.lots.get()
    Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.UNSUCCESSFUL)
    (item,) = page(client, buyer).context["todos"]
    assert item.label == "Unsuccessful lot: relaunch it"
    assert item.url.startswith(reverse("tenders:manage", args=[published_tender.pk]))


def test_a_practice_notice_is_not_on_the_buyer_s_workspace(client, buyer, published_tender):
    Tender.objects.filter(pk=published_tender.pk).update(practice=True)
    assert all(stage["count"] == 0 for stage in page(client, buyer).context["stages"])


def test_the_buyer_is_told_when_an_award_waits_for_confirmation(client, closed):
    from tests.awards.conftest import submit

    assert page(client, closed.buyer).context["todos"] == []
    submit(closed)
    response = page(client, closed.buyer)
    (item,) = response.context["todos"]
    assert item.label == "Documents received: the award is to be confirmed"
    html = response.content.decode()
    assert not any(member.organisation.name in html for member in closed.ranked)  # still anonymous
    assert stage_refs(response, "award") == ["AO-AWARD-001"]


# The commission ------------------------------------------------------------------------------------


def test_the_commission_opens_the_examination_once_the_deadline_passed(
    client, buyer, published_tender, clock
):
    member = make_member("membre@sante.gov.ma", buyer.organisation, "commission_member")
    outsider = make_member("autre@sante.gov.ma", buyer.organisation, "commission_member")
    CommissionMember.objects.create(tender=published_tender, membership=member, is_president=True)

    assert page(client, member).context["todos"] == []
    clock.advance(timedelta(days=12))
    (item,) = page(client, member).context["todos"]
    assert item.label == "Declare any conflict of interest before the opening"
    session.declare_interests(member, published_tender, conflict=False)
    (item,) = page(client, member).context["todos"]
    assert item.label == "Open the examination of the applications"
    assert item.url == reverse("applications:examination", args=[published_tender.pk])
    assert page(client, outsider).context["todos"] == []


def test_each_seated_member_is_asked_to_approve_the_minutes_once(
    client, company, other_company, buyer, published_tender, clock
):
    from seei.applications import services as applications
    from tests.applications.conftest import application_of, apply, past_deadline

    member = make_member("membre@sante.gov.ma", buyer.organisation, "commission_member")
    applications.name_commission(buyer, published_tender, [member], member)
    third = make_company("Maghreb Santé SARL", "003456789000034", "contact@maghreb-sante.ma")
    for applicant in (company, other_company, third):
        apply(applicant, published_tender)
    past_deadline(clock, published_tender)
    session.declare_interests(member, published_tender, conflict=False)
    applications.open_examination(member, published_tender)
    lot = published_tender.lots.get()
    for applicant in (company, other_company, third):
        applications.decide(member, application_of(applicant, published_tender), [(lot, "admitted", "")])
    (item,) = page(client, member).context["todos"]
    assert item.label == "Continue the examination: decisions are pending"
    applications.close_examination(member, published_tender)
    (item,) = page(client, member).context["todos"]
    assert item.label == "Approve the admission minutes"
    session.approve_minutes(member, published_tender)
    assert page(client, member).context["todos"] == []


def test_the_commission_checks_documents_and_leaves_a_lapsed_deadline_to_the_worker(
    client, closed, buyer, clock
):
    from seei.awards import services as awards
    from tests.awards.conftest import submit

    outsider = make_member("autre@sante.gov.ma", buyer.organisation, "commission_member")
    assert page(client, closed.commission).context["todos"] == []  # the candidate has time
    step = closed.award.current_step()
    clock.advance(step.documents_deadline - clock.now() + timedelta(minutes=1))
    assert page(client, closed.commission).context["todos"] == []  # nothing to do: the worker lapses it
    assert awards.lapse_overdue_candidates() == 1  # the second is asked
    submit(closed)
    (item,) = page(client, closed.commission).context["todos"]
    assert item.label == "Check the award documents and decide"
    assert item.url == reverse("awards:detail", args=[closed.award.pk])
    assert page(client, outsider).context["todos"] == []


# The accountant ------------------------------------------------------------------------------------


def test_the_accountant_gives_visas_then_records_payments_in_its_perimeter_only(
    client, closed, buyer_org, other_buyer_org, clock
):
    from seei.awards import services as awards

    accountant = ministry_accountant(buyer_org)
    other = fes_accountant(other_buyer_org)
    assert page(client, accountant).context["todos"] == []  # not final yet
    finalise(closed)
    (item,) = page(client, accountant).context["todos"]
    assert item.label == "Give the visa"
    assert item.url == reverse("awards:accountant_award", args=[closed.award.pk])
    assert page(client, other).context["todos"] == []

    grant_visa(closed, accountant)
    (item,) = page(client, accountant).context["todos"]
    assert item.label == "Record the payments"
    award = closed.award
    awards.record_payment(accountant, award, clock.today(), award.amount, "OP-1")
    assert page(client, accountant).context["todos"] == []


# The administrator ---------------------------------------------------------------------------------


@pytest.fixture
def administrator(db):
    platform = Organisation.objects.create(kind="platform", name="Administration SEEI")
    return make_member("admin@seei.ma", platform, "administrator")


def test_the_administrator_sees_pending_registrations_incidents_and_the_audit_log(
    client, administrator, company
):
    from seei.auctions.models import Suspension
    from seei.core import clock

    assert page(client, administrator).context["todos"] == []
    Organisation.objects.filter(pk=company.organisation_id).update(pending=True)
    Suspension.objects.create(started_at=clock.now(), reason="Panne du centre de données")

    response = page(client, administrator)
    labels = [item.label for item in response.context["todos"]]
    assert labels == [
        "Platform suspended: resume the rooms once the incident is over",
        "Check the company's identifier",
    ]
    html = response.content.decode()
    assert "Atlas Médical SARL" in html and "Panne du centre de données" in html
    assert reverse("audit_log") in html and reverse("auctions:incident") in html


# Bounded queries, the login's landing, Arabic -------------------------------------------------------


def test_the_company_workspace_costs_the_same_queries_with_more_items(
    client, company, buyer, published_tender, category, region, clock
):
    watch_category(company, category)
    services.ask_clarification(company, published_tender, "Une question ?")
    few = count_queries(client, company)
    for number in range(2, 6):
        tender = another_notice(buyer, category, region, clock, f"AO-MORE-{number}")
        services.ask_clarification(company, tender, "Une autre question ?")
        lot = tender.lots.get()
        Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.SCHEDULED)
        Invitation.objects.create(
            lot=lot, company=company.organisation, opens_at=lot.opens_at, sent_at=clock.now()
        )
    assert count_queries(client, company) == few <= 25


def test_the_buyer_workspace_costs_the_same_queries_with_more_notices(
    client, buyer, company, published_tender, category, region, clock
):
    few = count_queries(client, buyer)
    for number in range(2, 6):
        tender = another_notice(buyer, category, region, clock, f"AO-MORE-{number}")
        services.ask_clarification(company, tender, "Une question ?")
    assert count_queries(client, buyer) == few <= 20


def test_the_login_lands_on_the_workspace(client, company):
    from tests.conftest import PASSWORD

    response = client.post(reverse("accounts:login"), {"username": company.user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].endswith("/dashboard/")


@pytest.mark.parametrize("role", ["company", "buyer"])
def test_the_workspace_renders_in_arabic(client, role, request, published_tender):
    membership = request.getfixturevalue(role)
    html = page(client, membership, "/ar/dashboard/").content.decode()
    assert 'lang="ar" dir="rtl"' in html
    assert "ما ينتظرك الآن" in html


def test_the_commission_workspace_costs_the_same_queries_with_more_seats(
    client, buyer, published_tender, category, region, clock
):
    member = make_member("membre@sante.gov.ma", buyer.organisation, "commission_member")
    CommissionMember.objects.create(tender=published_tender, membership=member, is_president=True)
    clock.advance(timedelta(days=12))
    few = count_queries(client, member)
    for number in range(2, 6):
        tender = another_notice(buyer, category, region, clock, f"AO-SEAT-{number}")
        CommissionMember.objects.create(tender=tender, membership=member)
    clock.advance(timedelta(days=11))
    assert len(page(client, member).context["todos"]) == 5
    assert count_queries(client, member) == few <= 15


def test_the_accountant_workspace_costs_the_same_queries_with_more_awards(
    client, closed, buyer, buyer_org, company, category, region, clock
):
    from seei.awards.models import Award

    accountant = ministry_accountant(buyer_org)
    finalise(closed)
    few = count_queries(client, accountant)
    for number in range(2, 5):
        lot = another_notice(buyer, category, region, clock, f"AO-VISA-{number}").lots.get()
        Lot.objects.filter(pk=lot.pk).update(status=Lot.Status.AWARDED)
        Award.objects.create(
            lot=lot,
            status=Award.Status.FINAL,
            currency="MAD",
            company=company.organisation,
            amount=Decimal("500000.00"),
            created_at=clock.now(),
            final_at=clock.now(),
        )
    assert len(page(client, accountant).context["todos"]) == 4
    assert count_queries(client, accountant) == few <= 15


def test_the_administrator_workspace_costs_the_same_queries_with_more_registrations(client, administrator):
    from tests.conftest import make_company

    make_company("Oasis Santé SARL", "003456789000034", "contact@oasis.ma")
    Organisation.objects.filter(kind="company").update(pending=True)
    few = count_queries(client, administrator)
    for number in range(3):
        make_company(
            f"Entreprise {number} SARL", f"00456789000{number:04d}", f"contact{number}@entreprise.ma"
        )
    Organisation.objects.filter(kind="company").update(pending=True)
    assert len(page(client, administrator).context["pending"]) == 4
    assert count_queries(client, administrator) == few <= 12
