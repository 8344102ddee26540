"""The accountant's whole file of an award, on one page: the candidates' documents, the admission and
auction minutes (downloadable), the steps and the ranking, and the ledger's verification shown inline
with what it checked. Only the accountant of the buyer's perimeter sees it."""

from django.urls import reverse

from seei.core.models import AuditEvent
from tests.awards.conftest import finalise
from tests.conftest import Client


def client_for(membership=None) -> Client:
    client = Client()
    if membership is not None:
        client.force_login(membership.user)
    return client


def text(response) -> str:
    return response.content.decode()


def write_admission_minutes(closed_lot):
    from seei.applications import services
    from seei.core import clock

    return services._write_minutes(closed_lot.lot.tender, clock.now())  # as the examination's close does


def test_the_file_shows_documents_minutes_steps_and_ranking(closed, accountant):
    award = finalise(closed)
    admission = write_admission_minutes(closed)
    client = client_for(accountant)
    page = text(client.get(reverse("awards:accountant_award", args=[award.pk])))
    documents = list(award.current_step().current_documents())
    assert len(documents) == len(award.required_documents) > 0
    for document in documents:
        url = reverse("awards:accountant_document", args=[award.pk, document.pk])
        assert url in page
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        assert response["Cache-Control"] == "private, no-store"
    assert (
        reverse("awards:accountant_admission_minutes", args=[award.pk]) in page and admission.sha256 in page
    )
    response = client.get(reverse("awards:accountant_admission_minutes", args=[award.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert 'data-testid="minutes-link"' in page
    assert client.get(reverse("awards:minutes", args=[award.pk])).content.startswith(b"%PDF")
    assert 'data-testid="steps"' in page and 'data-testid="ranking"' in page
    assert all(member.organisation.name in page for member in closed.ranked)  # final: identities shown


def test_the_file_says_when_no_admission_minutes_exist(closed, accountant):
    award = finalise(closed)
    client = client_for(accountant)
    assert "No admission minutes for this notice." in text(
        client.get(reverse("awards:accountant_award", args=[award.pk]))
    )
    response = client.get(reverse("awards:accountant_admission_minutes", args=[award.pk]))
    assert response.status_code == 404


def test_the_verification_is_shown_inline_with_what_it_checked(closed, accountant):
    award = finalise(closed)
    client = client_for(accountant)
    page = text(client.post(reverse("awards:verify", args=[award.pk])))
    assert 'data-testid="verdict" data-ok="true"' in page and "The ledger is intact." in page
    assert page.count('data-testid="check" data-ok="true"') == 5 and 'data-ok="false"' not in page
    assert "Hash chain: each of the" in page and "Signatures:" in page and "Transparency log:" in page
    assert "its candidate holds rank 1 in the recomputed ranking" in page
    assert AuditEvent.objects.filter(action="award.ledger_verified", object_id=str(award.pk)).count() == 1
    # The page remembers the last run.
    page = text(client.get(reverse("awards:accountant_award", args=[award.pk])))
    assert 'data-testid="last-verification"' in page and "intact" in page


def test_a_tampered_ledger_fails_its_checks_on_the_page(closed, accountant):
    from seei.auctions.models import LedgerEntry

    award = finalise(closed)
    entry = LedgerEntry.objects.filter(room__lot=closed.lot, type="bid").first()
    entry.data = {**entry.data, "amount": "1.00"}
    entry.save(update_fields=["data"])
    page = text(client_for(accountant).post(reverse("awards:verify", args=[award.pk])))
    assert 'data-testid="verdict" data-ok="false"' in page and "The ledger does not verify." in page
    assert 'data-testid="check" data-ok="false"' in page


def test_outsiders_get_nothing_of_the_file(closed, accountant, other_accountant, buyer, outsider_commission):
    award = finalise(closed)
    write_admission_minutes(closed)
    document = award.current_step().current_documents().first()
    urls = [
        reverse("awards:accountant_award", args=[award.pk]),
        reverse("awards:accountant_document", args=[award.pk, document.pk]),
        reverse("awards:accountant_admission_minutes", args=[award.pk]),
        reverse("awards:ledger", args=[award.pk]),
    ]
    for url in urls:
        response = client_for(other_accountant).get(url)
        assert response.status_code == 403, url
        assert "This award is not in the perimeter of your accountant post." in text(response)
        for person in (buyer, closed.commission, closed.ranked[0], outsider_commission):
            response = client_for(person).get(url)
            assert response.status_code == 403 and "This page is reserved for: Accountant" in text(response)
        response = client_for().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client_for(other_accountant).post(reverse("awards:verify", args=[award.pk]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="award.ledger_verified").exists()


def test_a_document_of_another_award_is_not_found_through_this_one(
    closed, accountant, buyer, category, region, clock
):
    from tests.awards.conftest import close_auction

    award = finalise(closed)
    other = close_auction(buyer, category, region, clock, reference="AO-AWARD-FILE2")
    other_award = finalise(other)
    foreign = other_award.current_step().current_documents().first()
    response = client_for(accountant).get(reverse("awards:accountant_document", args=[award.pk, foreign.pk]))
    assert response.status_code == 404


def test_a_provisional_award_is_not_in_the_file_yet(closed, accountant):
    response = client_for(accountant).get(reverse("awards:accountant_award", args=[closed.award.pk]))
    assert response.status_code == 403
