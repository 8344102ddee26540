"""The public portal: listing, search, detail, documents, clarifications and the dashboard."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from seei.core.translated import make
from seei.tenders import services
from seei.tenders.models import Category, Clarification, Interest, Lot, Region
from tests.conftest import item_values, lot_values

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english():
    """Pages in English, the source language, so the assertions on interface texts hold."""
    with translation.override("en"):
        yield


def pdf(name="cahier-des-charges.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def notice(
    membership,
    clock,
    reference,
    *,
    category,
    region,
    title="Achat de groupes électrogènes",
    object_text="Fourniture de groupes électrogènes diesel",
    specification="Puissance 100 kVA triphasé",
    currency="MAD",
    deadline_days=11,
    publish=True,
):
    now = clock.now()
    tender = services.create_tender(
        membership,
        {
            "reference": reference,
            "original_language": "fr",
            "title": make("fr", fr=title),
            "object": make("fr", fr=object_text),
            "category": category,
            "region": region,
            "delivery_place": "Fès",
            "currency": currency,
            "application_deadline": now + timedelta(days=deadline_days),
        },
    )
    services.save_lot(
        membership,
        tender,
        lot_values(now, opens_at=now + timedelta(days=deadline_days + 3)),
        [item_values(specification=make("fr", fr=specification))],
    )
    return services.publish(membership, tender) if publish else tender


@pytest.fixture
def energy(db):
    return Category.objects.create(code="T-ENERGIE", name=make("fr", fr="Énergie", en="Energy"))


@pytest.fixture
def fes(db):
    return Region.objects.create(code="T-03", name=make("fr", fr="Fès-Meknès"))


@pytest.fixture
def other_notice(other_buyer, clock, energy, fes):
    """Another buyer's notice, different in every filter from ``published_tender``."""
    return notice(
        other_buyer, clock, "CF-2026-017", category=energy, region=fes, currency="EUR", deadline_days=20
    )


@pytest.fixture
def tender_with_document(draft_tender, buyer):
    services.add_document(buyer, draft_tender, pdf(), "Cahier des prescriptions spéciales")
    return services.publish(buyer, draft_tender)


def login(client, membership):
    client.force_login(membership.user)
    return client


def refs(response):
    """The references listed, read from the HTML (a page served from the cache has no context)."""
    return re.findall(r'data-testid="reference">([^<]+)<', response.content.decode())


def list_notices(client, **params):
    response = client.get(reverse("portal:tenders"), params)
    assert response.status_code == 200
    return response


# Home ---------------------------------------------------------------------------------


def test_home_lists_published_notices_but_not_drafts(
    client, published_tender, other_buyer, clock, energy, fes
):
    notice(
        other_buyer, clock, "DRAFT-1", category=energy, region=fes, title="Brouillon secret", publish=False
    )

    response = client.get(reverse("portal:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Purchase of wheelchairs" in html
    assert "AO-2026-001" in html
    assert "Brouillon secret" not in html and "DRAFT-1" not in html
    assert f'action="{reverse("portal:tenders")}"' in html  # the search box


def test_home_shows_the_notices_closing_soon(client, published_tender, other_notice, clock):
    response = client.get(reverse("portal:home"))
    assert [t.reference for t in response.context["closing_soon"]] == []

    clock.advance(timedelta(days=9))  # the deadline of published_tender is now 2 days away
    response = client.get(reverse("portal:home"))

    assert [t.reference for t in response.context["closing_soon"]] == ["AO-2026-001"]


# Search and filters ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["hôpitaux", "acier", "AO-2026-001", "Direction des Hôpitaux"])
def test_search_by_object_specification_reference_and_buyer(client, published_tender, other_notice, query):
    assert refs(list_notices(client, q=query)) == ["AO-2026-001"]


def test_search_finds_the_other_notice_by_its_own_words(client, published_tender, other_notice):
    assert refs(list_notices(client, q="kVA")) == ["CF-2026-017"]
    assert refs(list_notices(client, q="Commune de Fès")) == ["CF-2026-017"]
    assert refs(list_notices(client, q="charbon")) == []


def test_without_criteria_every_published_notice_is_listed_with_its_count(
    client, published_tender, other_notice
):
    response = list_notices(client)
    assert sorted(refs(response)) == ["AO-2026-001", "CF-2026-017"]
    assert "2 notices found" in response.content.decode()


def test_each_filter_narrows_the_results(
    client, published_tender, other_notice, energy, fes, buyer_org, other_buyer_org, category, region
):
    assert refs(list_notices(client, category=energy.pk)) == ["CF-2026-017"]
    assert refs(list_notices(client, category=category.pk)) == ["AO-2026-001"]
    assert refs(list_notices(client, region=fes.pk)) == ["CF-2026-017"]
    assert refs(list_notices(client, region=region.pk)) == ["AO-2026-001"]
    assert refs(list_notices(client, buyer=other_buyer_org.pk)) == ["CF-2026-017"]
    assert refs(list_notices(client, buyer=buyer_org.pk)) == ["AO-2026-001"]
    # A ministry's notices include its directorates'.
    assert refs(list_notices(client, buyer=buyer_org.parent_id)) == ["AO-2026-001"]
    assert refs(list_notices(client, currency="EUR")) == ["CF-2026-017"]
    assert refs(list_notices(client, currency="USD")) == []
    deadline = timezone.localdate(published_tender.application_deadline)  # the site's days are local
    assert refs(list_notices(client, closing_from=deadline, closing_to=deadline)) == ["AO-2026-001"]
    assert refs(list_notices(client, closing_from=deadline + timedelta(days=1))) == ["CF-2026-017"]
    assert refs(list_notices(client, q="hôpitaux", currency="EUR")) == []


def test_status_filter_follows_the_clock_and_the_lot_status(client, published_tender, other_notice, clock):
    assert sorted(refs(list_notices(client, status="applications_open"))) == ["AO-2026-001", "CF-2026-017"]
    assert refs(list_notices(client, status="applications_closed")) == []

    clock.advance(timedelta(days=12))  # past the first deadline only
    assert refs(list_notices(client, status="applications_open")) == ["CF-2026-017"]
    response = list_notices(client, status="applications_closed")
    assert refs(response) == ["AO-2026-001"]
    assert "Closed for applications" in response.content.decode()

    Lot.objects.filter(tender=published_tender).update(status=Lot.Status.SCHEDULED)
    assert refs(list_notices(client, status=Lot.Status.SCHEDULED)) == ["AO-2026-001"]
    assert refs(list_notices(client, status=Lot.Status.AWARDED)) == []


def test_an_inverted_date_range_is_explained(client, published_tender):
    response = list_notices(client, closing_from="2030-02-01", closing_to="2030-01-01")
    assert "must not be before" in response.content.decode()


def test_each_result_shows_its_key_facts(client, published_tender):
    html = list_notices(client).content.decode()
    for text in [
        "AO-2026-001",
        "Purchase of wheelchairs",
        "Direction des Hôpitaux",
        "Health",
        "Rabat-Salé-Kénitra",
        "1 lot",
        "MAD",
        "Open for applications",
    ]:
        assert text in html, text
    assert "600,000.00\u00a0MAD" in html


def test_pagination_keeps_the_filters(client, settings, buyer, clock, category, region, energy):
    settings.PAGE_SIZE = 2
    for number in range(3):
        notice(buyer, clock, f"SANTE-{number}", category=category, region=region)
    notice(buyer, clock, "ENERGIE-1", category=energy, region=region)

    first = list_notices(client, category=category.pk)
    assert first.context["page_obj"].paginator.count == 3
    assert len(refs(first)) == 2
    html = first.content.decode()
    assert f"?category={category.pk}&amp;page=2" in html

    second = list_notices(client, category=category.pk, page=2)
    assert len(refs(second)) == 1
    assert set(refs(first) + refs(second)) == {"SANTE-0", "SANTE-1", "SANTE-2"}


def notices_one_day_apart(buyer, clock, category, region, count) -> list[str]:
    """``count`` notices published a day apart; their references, newest first."""
    references = []
    for number in range(count):
        notice(buyer, clock, f"SANTE-{number}", category=category, region=region)
        references.insert(0, f"SANTE-{number}")
        clock.advance(timedelta(days=1))
    return references


def test_results_are_listed_newest_first(client, buyer, clock, category, region):
    newest_first = notices_one_day_apart(buyer, clock, category, region, 3)

    assert refs(list_notices(client)) == newest_first
    assert refs(list_notices(client, q="électrogènes")) == newest_first  # few matches: sorted apart


def test_a_large_count_stops_at_the_cap_and_the_pages_go_on(
    client, settings, monkeypatch, buyer, clock, category, region
):
    from seei.portal import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    settings.PAGE_SIZE = 1
    newest_first = notices_one_day_apart(buyer, clock, category, region, 4)

    first = list_notices(client, q="électrogènes")
    html = first.content.decode()
    assert "More than 2 notices found" in html
    assert "Page 1<" in html and "Last" not in html  # the number of pages is not known
    assert 'rel="next"' in html

    listed = refs(first)
    for number in (2, 3, 4):
        listed += refs(list_notices(client, q="électrogènes", page=number))
    assert listed == newest_first

    last = list_notices(client, q="électrogènes", page=4).content.decode()
    assert "4 notices found" in last and "Page 4 of 4" in last and 'rel="next"' not in last


def test_a_page_past_the_end_shows_the_last_one(client, settings, buyer, clock, category, region):
    settings.PAGE_SIZE = 2
    newest_first = notices_one_day_apart(buyer, clock, category, region, 3)

    assert refs(list_notices(client, page=9)) == newest_first[2:]
    assert refs(list_notices(client, q="électrogènes", page=9)) == newest_first[2:]
    assert refs(list_notices(client, page="x")) == newest_first[:2]


def test_the_list_does_not_query_once_per_notice(client, buyer, clock, category, region):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            list_notices(client, category=category.pk)
        return len(captured)

    notice(buyer, clock, "ONE", category=category, region=region)
    queries_for_list()  # what is cached once per process (the announcements) is not the list's cost
    with_one = queries_for_list()
    for number in range(4):
        notice(buyer, clock, f"MORE-{number}", category=category, region=region)

    assert queries_for_list() == with_one


# Detail -------------------------------------------------------------------------------------


def test_detail_shows_lots_items_rules_and_documents(client, tender_with_document):
    tender = tender_with_document
    document = tender.documents.get()

    response = client.get(reverse("portal:tender", args=[tender.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        "AO-2026-001",
        "Direction des Hôpitaux",
        "Ministère de la Santé",
        "Rabat, magasin central",
        "Livraison sous 60 jours",
        "Lot 1",
        "Folding manual wheelchair",
        "Steel frame, 45 cm seat",
        '<td class="num">500</td>',
        "unité",
        "Cahier des prescriptions spéciales",
        document.sha256,
        reverse("portal:document", args=[tender.pk, document.pk]),
        "A bid equal to the current best price is refused",
        "10 % of the starting price",
    ]:
        assert text in html, text
    assert 'id="clarifications"' in html


def test_translated_content_carries_its_language(client, published_tender):
    with translation.override("ar"):
        url = reverse("portal:tender", args=[published_tender.pk])
    html = client.get(url).content.decode()
    assert 'lang="ar" dir="rtl"' in html
    assert '<h1 lang="ar">اقتناء كراسي متحركة</h1>' in html
    # The object has no Arabic text: the French original is shown and marked as French.
    assert 'lang="fr">Fourniture de fauteuils roulants' in html


def test_arabic_page_is_right_to_left(client, published_tender):
    with translation.override("ar"):
        html = client.get(reverse("portal:home")).content.decode()
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    assert 'dir="ltr"' not in html


def test_a_draft_is_not_public(client, draft_tender, buyer):
    document = services.add_document(buyer, draft_tender, pdf())
    assert client.get(reverse("portal:tender", args=[draft_tender.pk])).status_code == 404
    assert client.get(reverse("portal:document", args=[draft_tender.pk, document.pk])).status_code == 404


def test_detail_shows_the_errata_history(client, tender_with_document, buyer):
    tender = tender_with_document
    old = tender.documents.get()
    services.publish_erratum(
        buyer,
        tender,
        "Correction de la quantité",
        item_values={tender.lots.get().items.get(): {"quantity": Decimal("650")}},
        withdrawn_documents=[old],
        new_documents=[("Cahier corrigé", pdf("cahier-v2.pdf", PDF_BYTES + b"%v2\n"))],
    )

    html = client.get(reverse("portal:tender", args=[tender.pk])).content.decode()

    assert "Erratum 1" in html and "Correction de la quantité" in html
    assert "Substantive change" in html
    assert "<del>500.000</del>" in html and "<ins>650</ins>" in html
    assert "Withdrawn by erratum 1" in html and "Added by erratum 1" in html
    assert "<del><a" in html  # the withdrawn document is struck
    assert "<details>" in html and "version 1" in html


def test_the_documents_errata_are_read_with_the_notice(
    tender_with_document, buyer, django_assert_num_queries
):
    """No join bringing two errata with each document, nor a query per document for them."""
    from seei.tenders.selectors import public_tender

    tender = tender_with_document
    old = tender.documents.get()
    services.publish_erratum(
        buyer,
        tender,
        "Correction",
        withdrawn_documents=[old],
        new_documents=[("Cahier corrigé", pdf("cahier-v2.pdf", PDF_BYTES + b"%v2\n"))],
    )
    notice = public_tender(tender.pk)

    with django_assert_num_queries(0):
        linked = {
            d.title: (d.erratum and d.erratum.number, d.withdrawn_by and d.withdrawn_by.number)
            for d in notice.documents.all()
        }
    assert linked == {old.title: (None, 1), "Cahier corrigé": (1, None)}


def test_a_notice_reads_no_errata_answers_or_rooms_it_cannot_have(client, published_tender):
    """At version 1 a notice has no erratum, with no answered question none is published, and a lot
    still open for applications has no room: none of these is looked for (a cold page costs a
    query each). Each shows once it exists (the tests above and below)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("portal:tender", args=[published_tender.pk]))

    assert response.status_code == 200
    tables = ("tenders_erratum", "tenders_clarification", "auctions_room")
    read = [
        query["sql"] for query in captured if query["sql"].startswith(tuple(f'SELECT "{t}".' for t in tables))
    ]
    assert read == []


# Clarifications -------------------------------------------------------------------------------

ORIGINAL = "Nous, Atlas Médical SARL de Casablanca, voulons savoir si le dossier technique est obligatoire."
REWORDED = "Le dossier technique est-il obligatoire pour ce lot ?"
ANSWER = "Oui, le dossier technique est obligatoire."


def test_an_answered_question_is_published_without_the_asker(
    client, published_tender, company, other_company, buyer
):
    question = services.ask_clarification(company, published_tender, ORIGINAL)
    services.answer_clarification(buyer, question, ANSWER, published_question=REWORDED)
    identifying = [
        "Atlas",
        company.user.email,
        company.user.get_full_name(),
        company.organisation.ice,
        company.organisation.rc,
        ORIGINAL,
        "Casablanca",
    ]

    for viewer in (None, other_company):
        client.logout()
        if viewer:
            login(client, viewer)
        html = client.get(reverse("portal:tender", args=[published_tender.pk])).content.decode()
        assert REWORDED in html and ANSWER in html
        for text in identifying:
            assert text not in html, text


def test_an_unanswered_question_is_not_public(client, published_tender, company, other_company):
    services.ask_clarification(company, published_tender, ORIGINAL)
    url = reverse("portal:tender", args=[published_tender.pk])

    assert ORIGINAL not in client.get(url).content.decode()
    other = login(client, other_company).get(url).content.decode()
    assert ORIGINAL not in other and "awaiting an answer" not in other

    client.logout()
    own = login(client, company).get(url).content.decode()
    assert ORIGINAL in own and "awaiting an answer" in own


def test_a_company_asks_a_question(client, published_tender, company):
    login(client, company)
    response = client.post(
        reverse("portal:ask", args=[published_tender.pk]),
        {"question": "Les accoudoirs doivent-ils être amovibles ?"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("portal:tender", args=[published_tender.pk])
    assert any("sent to the buyer" in str(m) for m in response.context["messages"])
    clarification = Clarification.objects.get()
    assert clarification.company == company.organisation and clarification.asked_by == company.user
    assert Interest.objects.filter(company=company.organisation, kind=Interest.Kind.QUESTION).exists()


def test_a_too_short_question_is_refused_in_the_form(client, published_tender, company):
    login(client, company)
    response = client.post(reverse("portal:ask", args=[published_tender.pk]), {"question": "Prix ?"})

    assert response.status_code == 200
    assert "in a few words at least" in response.content.decode()
    assert not Clarification.objects.exists()


def test_asking_after_the_deadline_is_refused(client, published_tender, company, clock):
    clock.advance(timedelta(days=12))
    login(client, company)

    response = client.post(
        reverse("portal:ask", args=[published_tender.pk]),
        {"question": "Les accoudoirs doivent-ils être amovibles ?"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "The application deadline has passed: questions are closed."
    ]
    assert not Clarification.objects.exists()
    assert 'action="' + reverse("portal:ask", args=[published_tender.pk]) not in response.content.decode()


def test_a_buyer_agent_cannot_ask(client, published_tender, buyer):
    login(client, buyer)
    response = client.post(
        reverse("portal:ask", args=[published_tender.pk]),
        {"question": "Les accoudoirs doivent-ils être amovibles ?"},
    )

    assert response.status_code == 403
    assert "Only a company member can ask" in response.content.decode()
    assert not Clarification.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, published_tender):
    response = client.post(
        reverse("portal:ask", args=[published_tender.pk]), {"question": "Une question longue ?"}
    )
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert not Clarification.objects.exists()


def test_the_form_is_offered_only_to_companies_before_the_deadline(
    client, published_tender, company, buyer, clock
):
    url = reverse("portal:tender", args=[published_tender.pk])
    form_action = 'action="' + reverse("portal:ask", args=[published_tender.pk])
    assert form_action not in client.get(url).content.decode()
    assert form_action not in login(client, buyer).get(url).content.decode()
    client.logout()
    assert form_action in login(client, company).get(url).content.decode()
    clock.advance(timedelta(days=12))
    assert form_action not in client.get(url).content.decode()


# Documents ------------------------------------------------------------------------------------


def test_download_returns_the_file_and_records_the_company_interest(client, tender_with_document, company):
    document = tender_with_document.documents.get()
    login(client, company)

    response = client.get(reverse("portal:document", args=[tender_with_document.pk, document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="cahier-des-charges.pdf"' in response["Content-Disposition"]
    assert (
        Interest.objects.filter(
            tender=tender_with_document, company=company.organisation, kind=Interest.Kind.DOWNLOAD
        ).count()
        == 1
    )


def test_an_anonymous_download_records_no_interest(client, tender_with_document):
    document = tender_with_document.documents.get()
    response = client.get(reverse("portal:document", args=[tender_with_document.pk, document.pk]))
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert not Interest.objects.exists()


def test_a_document_of_another_notice_is_not_served(client, tender_with_document, other_notice):
    document = tender_with_document.documents.get()
    assert client.get(reverse("portal:document", args=[other_notice.pk, document.pk])).status_code == 404


# Dashboard ------------------------------------------------------------------------------------


def test_dashboard_needs_a_login(client):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_dashboard_is_the_buyer_agent_s_workspace(client, buyer):
    response = login(client, buyer).get(reverse("portal:dashboard"))
    assert response.status_code == 200 and reverse("tenders:list") in response.content.decode()


def test_company_dashboard_shows_its_questions_and_subscribed_notices(
    client, published_tender, other_notice, company, energy
):
    from seei.alerts.models import WatchProfile

    WatchProfile.objects.create(company=company.organisation, name="Énergie").categories.set([energy])
    services.ask_clarification(company, published_tender, ORIGINAL)

    response = login(client, company).get(reverse("portal:dashboard"))

    html = response.content.decode()
    assert response.status_code == 200
    assert [t.reference for t in response.context["notices"]] == ["CF-2026-017"]
    assert ORIGINAL[:60] in html and "Awaiting an answer" in html
    assert reverse("portal:notifications") in html
