"""Who may call what: tokens, sessions with CSRF, roles and organisations."""

from datetime import timedelta

import pytest
from django.utils.crypto import get_random_string

from seei.tenders import services
from seei.tenders.models import Clarification, Lot, Tender
from tests.api.conftest import ApiClient, lot_body, notice_body
from tests.conftest import Client

pytestmark = pytest.mark.django_db


# Authentication ----------------------------------------------------------------------------------


def test_public_operations_need_no_authentication(api, published_tender):
    assert api().get("/notices").status_code == 200
    assert api().get(f"/notices/{published_tender.pk}").status_code == 200


def test_without_credentials_an_operation_for_members_answers_401(api, buyer):
    response = api().get("/buyer/notices")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required: send a valid API token or log in."}
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_unknown_token_answers_401(buyer, category, region, clock):
    response = ApiClient(key="not-a-real-key").post("/notices", notice_body(clock.now()))

    assert response.status_code == 401
    assert not Tender.objects.exists()


def test_a_token_of_an_inactive_person_answers_401(api, buyer):
    as_buyer = api(buyer)
    buyer.user.is_active = False
    buyer.user.save()

    assert as_buyer.get("/buyer/notices").status_code == 401


# Roles ---------------------------------------------------------------------------------------------


def test_a_company_token_on_buyer_operations_answers_403(api, draft_tender, company, clock):
    as_company = api(company)
    lot = draft_tender.lots.get()

    responses = [
        as_company.get("/buyer/notices"),
        as_company.post("/notices", notice_body(clock.now(), reference="AO-COMPANY")),
        as_company.patch(f"/notices/{draft_tender.pk}", {"delivery_place": "Tanger"}),
        as_company.post(f"/notices/{draft_tender.pk}/lots", lot_body(clock.now())),
        as_company.delete(f"/notices/{draft_tender.pk}/lots/{lot.pk}"),
        as_company.post(f"/notices/{draft_tender.pk}/publish"),
        as_company.get(f"/notices/{draft_tender.pk}/clarifications"),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert responses[1].json() == {"detail": "This is reserved to the role “Buyer agent”."}
    assert responses[2].json() == {"detail": "Only a buyer agent can manage notices."}
    draft_tender.refresh_from_db()
    assert (draft_tender.status, draft_tender.delivery_place) == ("draft", "Rabat, magasin central")
    assert list(Tender.objects.values_list("reference", flat=True)) == ["AO-2026-001"]
    assert Lot.objects.filter(tender=draft_tender).count() == 1


def test_a_company_cannot_answer_a_question(api, published_tender, company):
    clarification = services.ask_clarification(company, published_tender, "Le coussin est-il fourni ?")

    response = api(company).post(f"/clarifications/{clarification.pk}/answer", {"answer": "Oui."})

    assert response.status_code == 403
    assert not Clarification.objects.get(pk=clarification.pk).is_answered


def test_a_buyer_cannot_ask_a_question(api, published_tender, buyer):
    response = api(buyer).post(
        f"/notices/{published_tender.pk}/clarifications", {"question": "Le coussin est-il fourni ?"}
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "This is reserved to the role “Company member”."}
    assert not Clarification.objects.exists()


def test_a_company_cannot_ask_on_a_draft(api, draft_tender, company):
    response = api(company).post(
        f"/notices/{draft_tender.pk}/clarifications", {"question": "Le coussin est-il fourni ?"}
    )

    assert response.status_code == 404
    assert not Clarification.objects.exists()


# Organisations ----------------------------------------------------------------------------------


def test_a_buyer_of_another_organisation_cannot_edit(api, draft_tender, other_buyer, clock):
    as_other = api(other_buyer)
    lot = draft_tender.lots.get()

    responses = [
        as_other.get(f"/buyer/notices/{draft_tender.pk}"),
        as_other.patch(f"/notices/{draft_tender.pk}", {"delivery_place": "Fès", "title": {"fr": "Piraté"}}),
        as_other.post(f"/notices/{draft_tender.pk}/lots", lot_body(clock.now())),
        as_other.put(
            f"/notices/{draft_tender.pk}/lots/{lot.pk}", lot_body(clock.now(), starting_price="1.00")
        ),
        as_other.delete(f"/notices/{draft_tender.pk}/lots/{lot.pk}"),
        as_other.post(f"/notices/{draft_tender.pk}/publish"),
    ]

    assert [r.status_code for r in responses] == [403] * len(responses)
    assert responses[1].json() == {"detail": "This notice belongs to another organisation."}
    draft_tender.refresh_from_db()
    assert draft_tender.delivery_place == "Rabat, magasin central"
    assert draft_tender.title["fr"] == "Acquisition de fauteuils roulants"
    assert draft_tender.status == "draft"
    assert list(draft_tender.lots.values_list("pk", "starting_price")) == [(lot.pk, lot.starting_price)]
    assert api(other_buyer).get("/buyer/notices").json()["items"] == []


def test_a_buyer_of_another_organisation_cannot_amend_or_answer(api, published_tender, other_buyer, company):
    clarification = services.ask_clarification(company, published_tender, "Le coussin est-il fourni ?")
    as_other = api(other_buyer)
    deadline = published_tender.application_deadline

    erratum = as_other.post(
        f"/notices/{published_tender.pk}/errata",
        {
            "reason": "Piratage",
            "notice": {"application_deadline": (deadline + timedelta(days=30)).isoformat()},
        },
    )
    answer = as_other.post(f"/clarifications/{clarification.pk}/answer", {"answer": "Non."})
    questions = as_other.get(f"/notices/{published_tender.pk}/clarifications")

    assert (erratum.status_code, answer.status_code, questions.status_code) == (403, 403, 403)
    published_tender.refresh_from_db()
    assert (published_tender.application_deadline, published_tender.version) == (deadline, 1)
    assert not Clarification.objects.get(pk=clarification.pk).is_answered


def test_unknown_objects_answer_404(api, draft_tender, buyer):
    as_buyer = api(buyer)

    assert as_buyer.get("/buyer/notices/999999").status_code == 404
    assert as_buyer.delete(f"/notices/{draft_tender.pk}/lots/999999").json() == {
        "detail": "This lot does not exist."
    }
    assert as_buyer.post("/clarifications/999999/answer", {"answer": "Oui."}).status_code == 404


# The site's session -------------------------------------------------------------------------------


def _logged_in(membership, enforce_csrf=True):
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(membership.user)
    return client


def test_the_session_authenticates_reads(buyer, draft_tender):
    client = _logged_in(buyer)

    response = client.get("/api/v1/buyer/notices")

    assert response.status_code == 200
    assert [n["id"] for n in response.json()["items"]] == [draft_tender.pk]


def test_the_session_needs_the_csrf_token_for_changes(buyer, category, region, clock):
    client = _logged_in(buyer)

    refused = client.post(
        "/api/v1/notices",
        notice_body(clock.now()),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "The CSRF check failed: send the X-CSRFToken header with the session cookie."
    }
    assert not Tender.objects.exists()

    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    accepted = client.post(
        "/api/v1/notices",
        notice_body(clock.now()),
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )

    assert accepted.status_code == 201, accepted.content
    assert Tender.objects.get().buyer_id == buyer.organisation_id


def test_the_session_acts_through_the_chosen_membership(buyer, company, published_tender):
    from seei.accounts.middleware import SESSION_KEY
    from seei.accounts.models import Membership

    # The buyer's person is also a company member, and chose that role on the site.
    as_company = Membership.objects.create(
        user=buyer.user, organisation=company.organisation, role="company_member"
    )
    client = _logged_in(buyer, enforce_csrf=False)
    session = client.session
    session[SESSION_KEY] = as_company.pk
    session.save()

    response = client.get("/api/v1/buyer/notices")

    assert response.status_code == 403
