"""The award's pages: who sees what (identities only once final, the accountant's perimeter), and
refusals that say why and change nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from seei.awards.models import AwardDocument, AwardStep, Payment, Visa
from tests.awards.conftest import all_documents, exe_upload, finalise, submit
from tests.conftest import Client


def client_for(membership=None) -> Client:
    client = Client()
    if membership is not None:
        client.force_login(membership.user)
    return client


def text(response) -> str:
    return response.content.decode()


def company_names(closed_lot) -> list[str]:
    return [member.organisation.name for member in closed_lot.ranked]


def test_the_buyer_follows_the_award_by_pseudonyms_until_it_is_final(closed, buyer):
    url = reverse("awards:detail", args=[closed.award.pk])
    page = text(client_for(buyer).get(url))
    assert closed.pseudonym(closed.ranked[0]) in page and "Identities stay hidden" in page
    assert not any(name in page for name in company_names(closed))
    assert reverse("awards:minutes", args=[closed.award.pk]) in page
    finalise(closed)
    page = text(client_for(buyer).get(url))
    assert all(name in page for name in company_names(closed))
    assert 'data-testid="awardee">' + closed.ranked[0].organisation.name in page
    assert "The accountant&#x27;s decisions" in page or "The accountant's decisions" in page


def test_the_list_shows_the_awards_of_each_role(closed, buyer, other_buyer):
    assert reverse("awards:detail", args=[closed.award.pk]) in text(
        client_for(buyer).get(reverse("awards:list"))
    )
    assert reverse("awards:detail", args=[closed.award.pk]) in text(
        client_for(closed.commission).get(reverse("awards:list"))
    )
    assert "No award concerns you yet" in text(client_for(other_buyer).get(reverse("awards:list")))
    assert client_for(other_buyer).get(reverse("awards:detail", args=[closed.award.pk])).status_code == 403


def test_the_candidate_uploads_its_documents_through_the_page(closed):
    candidate = closed.ranked[0]
    url = reverse("awards:detail", args=[closed.award.pk])
    page = text(client_for(candidate).get(url))
    assert 'data-testid="documents-form"' in page and "Tax compliance certificate" in page
    # The second-ranked company has nothing to do yet, and learns nothing.
    assert client_for(closed.ranked[1]).get(url).status_code == 403
    bad = {**all_documents(closed.award), "tax_certificate": exe_upload()}
    response = client_for(candidate).post(reverse("awards:submit", args=[closed.award.pk]), bad)
    assert response.status_code == 400 and "is not a valid PDF file" in text(response)
    assert closed.award.current_step().status == "requested"
    response = client_for(candidate).post(
        reverse("awards:submit", args=[closed.award.pk]), all_documents(closed.award)
    )
    assert response.status_code == 302
    assert closed.award.current_step().status == "submitted"
    assert "Your documents were submitted on" in text(client_for(candidate).get(url))


def test_each_acts_only_in_its_own_role_on_the_pages(closed):
    """As in the API: the commission submits no documents and the candidate decides nothing (403)."""
    submit_url = reverse("awards:submit", args=[closed.award.pk])
    assert client_for(closed.commission).post(submit_url, all_documents(closed.award)).status_code == 403
    fail_url = reverse("awards:fail", args=[closed.award.pk])
    assert client_for(closed.ranked[0]).post(fail_url, {"rank": 1, "reason": "x"}).status_code == 403
    assert closed.award.current_step().status == "requested" and not AwardDocument.objects.exists()


def test_the_commission_checks_the_documents_and_records_a_failure(closed):
    submit(closed)
    award = closed.award
    page = text(client_for(closed.commission).get(reverse("awards:detail", args=[award.pk])))
    assert closed.ranked[0].organisation.name in page  # the commission knows whom it checks
    document = award.current_step().current_documents().first()
    download = client_for(closed.commission).get(reverse("awards:document", args=[award.pk, document.pk]))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert (
        client_for(closed.buyer).get(reverse("awards:document", args=[award.pk, document.pk])).status_code
        == 403
    )
    fail_url = reverse("awards:fail", args=[award.pk])
    response = client_for(closed.commission).post(fail_url, {"rank": 1, "reason": ""})
    assert response.status_code == 400 and "This field is required." in text(response)
    response = client_for(closed.commission).post(fail_url, {"rank": 2, "reason": "Préférence"})
    assert response.status_code == 400 and "The award follows the ranking" in text(response)
    assert award.current_step().rank == 1
    response = client_for(closed.commission).post(
        fail_url, {"rank": 1, "reason": "Attestation fiscale périmée"}
    )
    assert response.status_code == 302
    assert list(award.steps.values_list("rank", "status")) == [(1, "failed"), (2, "requested")]


def test_confirmation_by_someone_not_on_the_commission_is_refused_by_the_page(
    closed, buyer, outsider_commission
):
    url = reverse("awards:confirm", args=[closed.award.pk])
    response = client_for(buyer).post(url, {"rank": 1})
    assert response.status_code == 403
    assert "Only the commission of the notice decides on its award" in text(response)
    assert client_for(outsider_commission).post(url, {"rank": 1}).status_code == 403
    assert closed.award.status == "provisional" and closed.award.current_step().status == "requested"


def test_the_public_result_names_companies_only_once_final(closed, clock):
    url = reverse("awards:result", args=[closed.lot.pk])
    page = text(client_for().get(url))
    assert "The award is in progress" in page and closed.pseudonym(closed.ranked[0]) in page
    assert not any(name in page for name in company_names(closed))
    minutes_url = reverse("awards:minutes", args=[closed.award.pk])
    assert minutes_url not in page
    assert client_for().get(minutes_url).status_code == 403
    finalise(closed)
    page = text(client_for().get(url))
    assert all(name in page for name in company_names(closed)) and minutes_url in page
    response = client_for().get(minutes_url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_result_waits_for_the_close(buyer, category, region, clock):
    from tests.auctions.conftest import make_auction

    auction = make_auction(buyer, category, region, clock, reference="AO-AWARD-OPEN")
    assert client_for().get(reverse("awards:result", args=[auction.lot.pk])).status_code == 404


def test_the_accountant_of_the_perimeter_sees_verifies_grants_and_records_payments(closed, accountant, clock):
    award = finalise(closed)
    client = client_for(accountant)
    workspace = text(client.get(reverse("awards:accountant")))
    assert closed.ranked[0].organisation.name in workspace and closed.lot.tender.reference in workspace
    page = text(client.get(reverse("awards:accountant_award", args=[award.pk])))
    assert "585,000.00" in page and reverse("awards:ledger", args=[award.pk]) in page
    ledger = client.get(reverse("awards:ledger", args=[award.pk]))
    assert ledger.status_code == 200 and ledger.json()["entries"][-1]["hash"] == closed.room.last_hash
    verdict = text(client.post(reverse("awards:verify", args=[award.pk])))
    assert 'data-ok="true"' in verdict and "The ledger is intact." in verdict
    response = client.post(reverse("awards:visa", args=[award.pk]), {"decision": "refused", "reason": ""})
    assert response.status_code == 400 and "Say why the visa is refused" in text(response)
    assert not Visa.objects.exists()
    today = clock.today().isoformat()
    granted = {
        "decision": "granted",
        "commitment_amount": "585000",
        "budget_line": "1.2.3.40",
        "committed_on": today,
    }
    assert client.post(reverse("awards:visa", args=[award.pk]), granted).status_code == 302
    pay = reverse("awards:payment", args=[award.pk])
    assert client.post(pay, {"paid_on": today, "amount": "300000", "reference": "OP-1"}).status_code == 302
    response = client.post(pay, {"paid_on": today, "amount": "285000.01", "reference": "OP-2"})
    assert response.status_code == 400 and "is more than what remains to be paid" in text(response)
    assert Payment.objects.count() == 1
    page = text(client.get(reverse("awards:accountant_award", args=[award.pk])))
    assert 'data-testid="paid">300,000.00' in page and 'data-testid="remaining">285,000.00' in page
    buyer_page = text(client_for(closed.buyer).get(reverse("awards:detail", args=[award.pk])))
    assert "Visa granted" in buyer_page and "OP-1" in buyer_page


def test_an_accountant_of_another_post_sees_nothing_and_cannot_give_the_visa(closed, other_accountant):
    award = finalise(closed)
    client = client_for(other_accountant)
    workspace = text(client.get(reverse("awards:accountant")))
    assert (
        "No final award in your perimeter yet." in workspace and closed.lot.tender.reference not in workspace
    )
    for name in ("awards:accountant_award", "awards:ledger"):
        response = client.get(reverse(name, args=[award.pk]))
        assert response.status_code == 403
        assert "This award is not in the perimeter of your accountant post." in text(response)
    response = client.post(reverse("awards:visa", args=[award.pk]), {"decision": "granted"})
    assert response.status_code == 403 and not Visa.objects.exists()
    assert client.get(reverse("awards:detail", args=[award.pk])).status_code == 403


def test_the_accountant_pages_are_for_accountants(closed, buyer):
    response = client_for(buyer).get(reverse("awards:accountant"))
    assert response.status_code == 403 and "This page is reserved for: Accountant" in text(response)
    assert client_for().get(reverse("awards:accountant")).status_code == 302


def test_a_low_price_is_shown_to_the_commission(buyer, category, region, clock):
    from tests.awards.conftest import close_auction

    low = close_auction(
        buyer,
        category,
        region,
        clock,
        prices=("250000", "500000"),
        reference="AO-AWARD-LOWV",
        max_decrement=None,
    )
    submit(low)
    url = reverse("awards:detail", args=[low.award.pk])
    page = text(client_for(low.commission).get(url))
    assert 'data-testid="low-price-flag"' in page
    response = client_for(low.commission).post(reverse("awards:confirm", args=[low.award.pk]), {"rank": 1})
    assert response.status_code == 400 and "This price is abnormally low" in text(response)
    assert low.award.status == "provisional"
    response = client_for(low.commission).post(
        reverse("awards:confirm", args=[low.award.pk]),
        {"rank": 1, "low_price_note": "Devis du fabricant vérifié"},
    )
    assert response.status_code == 302 and low.award.status == "final"


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_pages_exist_in_every_language(closed, buyer, language):
    from django.utils import translation

    with translation.override(language):
        url = reverse("awards:detail", args=[closed.award.pk])
        public = reverse("awards:result", args=[closed.lot.pk])
    assert url.startswith(f"/{language}/")
    response = client_for(buyer).get(url)
    assert response.status_code == 200 and f'lang="{language}"' in text(response)
    assert client_for().get(public).status_code == 200


def test_steps_table_marks_failures(closed, clock):
    clock.advance(timedelta(days=6))
    from seei.awards import services

    services.fail(closed.commission, closed.award, 1, "Pièces non déposées")
    page = text(client_for(closed.buyer).get(reverse("awards:detail", args=[closed.award.pk])))
    assert 'data-rank="1" data-status="failed"' in page and "Pièces non déposées" in page
    assert AwardStep.objects.get(award=closed.award, rank=2).amount == Decimal("588000.00")
