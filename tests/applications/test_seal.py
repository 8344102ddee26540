"""The seal: before the deadline nobody but the applying company learns anything of an application.

Every route and API operation that could reveal an application (its documents, its company,
its existence) is called by the buyer, the notice's commission, another company and an
anonymous visitor; each refuses, or answers without a trace of the applicants. The stored
bytes, in the database and on disk, hold no readable content.
"""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection
from django.urls import reverse

from seei.applications import sealing, services
from seei.applications.models import ApplicationDocument, Decision, Examination
from seei.core.models import AuditEvent
from tests.api.conftest import ApiClient, token_for
from tests.applications.conftest import SECRET, application_of, past_deadline, pdf_bytes, seat_all
from tests.conftest import Client, make_company

pytestmark = pytest.mark.urls("tests.applications.urls")

DOCUMENT_NAMES = ("attestation-fiscale.pdf", "fiche-technique.pdf")


@pytest.fixture
def stranger(db):
    """A company that did not apply."""
    return make_company("Rif Industries SA", "004567890000056", "contact@rif-industries.ma")


@pytest.fixture
def secrets_of(companies):
    """What must not show: the applicants' names and ICEs, the document names and content."""
    values = [m.organisation.name for m in companies] + [m.organisation.ice for m in companies]
    return [*values, *DOCUMENT_NAMES, SECRET.decode()]


def browser(membership=None):
    client = Client()
    if membership is not None:
        client.force_login(membership.user)
    return client


def api_client(membership=None):
    return ApiClient(token_for(membership) if membership else None)


def assert_nothing_revealed(response, secrets_of):
    body = response.content.decode("utf-8", errors="replace")
    for secret in secrets_of:
        assert secret not in body, f"{secret!r} revealed by {response.request['PATH_INFO']}"


# What each of them gets before the deadline: (buyer, commission president, company that did not apply).
# 200 only where the page shows nothing of the applicants (checked below); 302 is a POST of the commission
# sent back to its page with the refusal as a message.
SITE_EXPECTED = {
    "examination": (403, 200, 403),  # the commission reads "sealed until the deadline"
    "sealed_document": (403, 403, 403),
    "decide": (403, 403, 403),
    "open": (403, 302, 403),
    "close": (403, 302, 403),
    "minutes": (404, 404, 403),
    "document": (403, 403, 404),  # another company's document: as if it did not exist
    "receipt": (403, 403, 404),
    "receipt_pdf": (403, 403, 404),
    "mine": (403, 403, 200),  # the stranger's own (empty) list
    "commission": (200, 403, 403),  # the buyer's count
    "commission_list": (403, 200, 403),
    "apply": (403, 403, 200),  # the stranger's own form
}

API_EXPECTED = {
    "examination": (403, 403, 403),
    "sealed_document": (403, 403, 403),
    "decide": (403, 403, 403),
    "open": (403, 400, 403),
    "close": (403, 400, 403),
    "commission_notices": (403, 200, 403),
    "minutes": (404, 404, 403),
    "document": (403, 403, 404),
    "receipt": (403, 403, 404),
    "receipt_pdf": (403, 403, 404),
    "mine": (403, 403, 200),
    "invitations": (403, 403, 200),
    "count": (200, 403, 403),
    "commission": (200, 403, 403),
}


def site_routes(tender, document, receipt, application):
    """name -> (method, url) of every page that touches an application."""
    return {
        "examination": ("get", reverse("applications:examination", args=[tender.pk])),
        "sealed_document": ("get", reverse("applications:sealed_document", args=[tender.pk, document.pk])),
        "decide": ("post", reverse("applications:decide", args=[tender.pk, application.pk])),
        "open": ("post", reverse("applications:open", args=[tender.pk])),
        "close": ("post", reverse("applications:close", args=[tender.pk])),
        "minutes": ("get", reverse("applications:minutes", args=[tender.pk])),
        "document": ("get", reverse("applications:document", args=[document.pk])),
        "receipt": ("get", reverse("applications:receipt", args=[receipt.pk])),
        "receipt_pdf": ("get", reverse("applications:receipt_pdf", args=[receipt.pk])),
        "mine": ("get", reverse("applications:mine")),
        "commission": ("get", reverse("applications:commission", args=[tender.pk])),
        "commission_list": ("get", reverse("applications:commission_list")),
        "apply": ("get", reverse("applications:apply", args=[tender.pk])),
    }


def api_routes(tender, document, receipt, application):
    decision = {"decisions": [{"lot": tender.lots.get().pk, "outcome": "excluded", "reason": "test"}]}
    return {
        "examination": ("get", f"/commission/notices/{tender.pk}/examination", None),
        "sealed_document": ("get", f"/commission/notices/{tender.pk}/documents/{document.pk}", None),
        "decide": (
            "post",
            f"/commission/notices/{tender.pk}/applications/{application.pk}/decisions",
            decision,
        ),
        "open": ("post", f"/commission/notices/{tender.pk}/examination", None),
        "close": ("post", f"/commission/notices/{tender.pk}/examination/close", None),
        "commission_notices": ("get", "/commission/notices", None),
        "minutes": ("get", f"/notices/{tender.pk}/minutes", None),
        "document": ("get", f"/applications/documents/{document.pk}", None),
        "receipt": ("get", f"/applications/receipts/{receipt.pk}", None),
        "receipt_pdf": ("get", f"/applications/receipts/{receipt.pk}/pdf", None),
        "mine": ("get", "/applications", None),
        "invitations": ("get", "/applications/invitations", None),
        "count": ("get", f"/buyer/notices/{tender.pk}/applications", None),
        "commission": ("get", f"/buyer/notices/{tender.pk}/commission", None),
    }


@pytest.fixture
def sealed(applied, tender, companies):
    company = companies[0]
    application = application_of(company, tender)
    return {
        "tender": tender,
        "document": application.documents.first(),
        "receipt": applied[0],
        "application": application,
    }


def test_every_page_refuses_or_reveals_nothing_before_the_deadline(
    sealed, buyer, president, stranger, secrets_of
):
    routes = site_routes(**sealed)
    assert routes.keys() == SITE_EXPECTED.keys()
    for index, who in enumerate((buyer, president, stranger)):
        client = browser(who)
        for name, (method, url) in routes.items():
            response = client.post(url) if method == "post" else client.get(url)
            assert response.status_code == SITE_EXPECTED[name][index], (who.role, name, response.status_code)
            if response.status_code == 302:
                response = client.get(response["Location"])  # the page it leads to, with its message
                assert "sealed until the application deadline" in response.content.decode()
            assert_nothing_revealed(response, secrets_of)
    anonymous = browser()
    for name, (method, url) in routes.items():
        response = anonymous.post(url) if method == "post" else anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    # The public page of the notice says nothing either.
    for who in (buyer, president, stranger, None):
        assert_nothing_revealed(
            browser(who).get(reverse("portal:tender", args=[sealed["tender"].pk])), secrets_of
        )
    assert not Examination.objects.exists() and not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action="application.document_opened").exists()


def test_every_api_operation_refuses_or_reveals_nothing_before_the_deadline(
    sealed, buyer, president, stranger, secrets_of
):
    routes = api_routes(**sealed)
    assert routes.keys() == API_EXPECTED.keys()
    for index, who in enumerate((buyer, president, stranger)):
        client = api_client(who)
        for name, (method, path, body) in routes.items():
            response = client.post(path, body) if method == "post" else client.get(path)
            assert response.status_code == API_EXPECTED[name][index], (who.role, name, response.status_code)
            assert_nothing_revealed(response, secrets_of)
    assert api_client(stranger).get("/applications").json() == []
    assert api_client(president).get("/commission/notices").json()[0]["examination"] == "sealed"
    anonymous = api_client()
    for name, (method, path, body) in routes.items():
        response = anonymous.post(path, body) if method == "post" else anonymous.get(path)
        assert response.status_code == 401, name
    for who in (buyer, president, stranger, None):
        assert_nothing_revealed(api_client(who).get(f"/notices/{sealed['tender'].pk}"), secrets_of)
    assert not Examination.objects.exists() and not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action="application.document_opened").exists()


def test_buyer_sees_only_the_count(sealed, buyer, secrets_of):
    response = browser(buyer).get(reverse("applications:commission", args=[sealed["tender"].pk]))
    assert response.status_code == 200 and 'data-count="3"' in response.content.decode()
    assert_nothing_revealed(response, secrets_of)
    answer = api_client(buyer).get(f"/buyer/notices/{sealed['tender'].pk}/applications")
    assert answer.json() == {"notice_id": sealed["tender"].pk, "applications": 3}


def test_another_buyer_does_not_even_get_the_count(sealed, other_buyer):
    assert (
        browser(other_buyer).get(reverse("applications:commission", args=[sealed["tender"].pk])).status_code
        == 403
    )
    assert (
        api_client(other_buyer).get(f"/buyer/notices/{sealed['tender'].pk}/applications").status_code == 403
    )


def test_the_seal_holds_after_the_deadline_until_the_commission_opens(sealed, president, clock, secrets_of):
    tender = sealed["tender"]
    past_deadline(clock, tender)
    document_url = reverse("applications:sealed_document", args=[tender.pk, sealed["document"].pk])
    response = browser(president).get(document_url)
    assert response.status_code == 403
    assert api_client(president).get(f"/commission/notices/{tender.pk}/examination").status_code == 403
    page = browser(president).get(reverse("applications:examination", args=[tender.pk]))
    assert 'data-testid="open-examination"' in page.content.decode()
    assert_nothing_revealed(page, secrets_of)


def test_after_opening_only_the_notices_commission_sees_the_applications(
    sealed, president, buyer, stranger, outsider_member, other_tender, clock, companies
):
    tender, document = sealed["tender"], sealed["document"]
    seat_all(tender)
    past_deadline(clock, tender)
    services.open_examination(president, tender)
    page = browser(president).get(reverse("applications:examination", args=[tender.pk]))
    assert all(m.organisation.name in page.content.decode() for m in companies)
    url = reverse("applications:sealed_document", args=[tender.pk, document.pk])
    response = browser(president).get(url)
    assert response.status_code == 200 and response.content == pdf_bytes()
    assert "attestation-fiscale.pdf" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="application.document_opened")
    assert event.actor == president.user and event.data["role"] == "commission_member"
    assert event.object_id == str(document.pk)
    for who in (outsider_member, buyer, stranger):
        assert browser(who).get(url).status_code == 403
        assert browser(who).get(reverse("applications:examination", args=[tender.pk])).status_code == 403
        assert (
            api_client(who).get(f"/commission/notices/{tender.pk}/documents/{document.pk}").status_code == 403
        )
    assert AuditEvent.objects.filter(action="application.document_opened").count() == 1


def test_the_company_downloads_its_own_document_anytime_and_it_is_audited(sealed, companies):
    company = companies[0]
    response = browser(company).get(reverse("applications:document", args=[sealed["document"].pk]))
    assert response.status_code == 200 and response.content == pdf_bytes()
    event = AuditEvent.objects.get(action="application.document_opened")
    assert event.organisation == company.organisation and event.data["role"] == "company_member"
    # Another applicant cannot, by guessing the id: not found, as if it did not exist.
    assert (
        browser(companies[1]).get(reverse("applications:document", args=[sealed["document"].pk])).status_code
        == 404
    )
    assert api_client(companies[1]).get(f"/applications/documents/{sealed['document'].pk}").status_code == 404


def test_no_database_row_holds_readable_document_content(sealed):
    """Every row of every table, as PostgreSQL prints it: neither the content nor the file names."""
    needles = [SECRET, SECRET.hex().encode(), *(name.encode() for name in DOCUMENT_NAMES)]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 (table names from the catalogue)
            for (row,) in cursor.fetchall():
                for needle in needles:
                    assert needle not in row.encode(), f"{needle!r} readable in {table}"
    # The rows keep only what the receipt prints: hash and size.
    document = ApplicationDocument.objects.first()
    assert len(document.sha256) == 64 and document.size == len(pdf_bytes())
    assert SECRET not in bytes(document.name_sealed)


def test_no_stored_file_holds_readable_content(sealed, settings):
    files = [path for path in (settings.MEDIA_ROOT / "sealed").rglob("*") if path.is_file()]
    assert len(files) == 6  # three applications, two documents each
    for path in files:
        data = path.read_bytes()
        assert SECRET not in data and b"%PDF" not in data
        assert not any(name in path.name for name in DOCUMENT_NAMES)
    # The names on disk are the random storage names of the rows.
    assert {path.name for path in files} == set(
        ApplicationDocument.objects.values_list("storage_name", flat=True)
    )


def test_the_key_from_the_settings_is_needed_to_read(sealed, settings):
    document = sealed["document"]
    assert sealing.read(document) == pdf_bytes()
    assert sealing.original_name(document) == "attestation-fiscale.pdf"
    settings.SEEI_DOCUMENT_KEY = Fernet.generate_key().decode()
    with pytest.raises(InvalidToken):
        sealing.read(document)
