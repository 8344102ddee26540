"""Fixtures of phase 1: three companies, a commission, uploads, and a notice ready to examine."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import item_values, lot_values, make_company, make_member

# A marker inside every test document: it must never be readable in the database or on disk.
SECRET = b"SECRET-OFFER-CONTENT-7f3a9c"


def pdf_bytes(marker: bytes = SECRET) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% "
        + marker
        + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def pdf_upload(name="attestation-fiscale.pdf", marker: bytes = SECRET):
    return SimpleUploadedFile(name, pdf_bytes(marker), content_type="application/pdf")


def exe_upload(name="offre-technique.pdf"):
    """A Windows executable renamed .pdf."""
    return SimpleUploadedFile(
        name,
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
        content_type="application/pdf",
    )


def documents(admin_name="attestation-fiscale.pdf", technical_name="fiche-technique.pdf"):
    return [("administrative", pdf_upload(admin_name)), ("technical", pdf_upload(technical_name))]


@pytest.fixture(autouse=True)
def _people_read_english(monkeypatch):
    """Notifications are written in each person's language (French by default); these tests read English."""
    from seei.accounts.models import User

    field = User._meta.get_field("language")
    monkeypatch.setattr(field, "default", "en")
    monkeypatch.setattr(field, "_get_default", lambda: "en")


@pytest.fixture
def third_company(db):
    return make_company("Maghreb Santé SARL", "003456789000034", "contact@maghreb-sante.ma")


@pytest.fixture
def companies(company, other_company, third_company):
    return [company, other_company, third_company]


@pytest.fixture
def president(buyer_org):
    return make_member(
        "president@sante.gov.ma", buyer_org, "commission_member", first_name="Karim", last_name="President"
    )


@pytest.fixture
def member(buyer_org):
    return make_member(
        "membre@sante.gov.ma", buyer_org, "commission_member", first_name="Salma", last_name="Membre"
    )


@pytest.fixture
def outsider_member(buyer_org):
    """A commission member of the same buyer, named to another notice only."""
    return make_member("autre.commission@sante.gov.ma", buyer_org, "commission_member")


@pytest.fixture
def tender(published_tender, buyer, president, member):
    """A published notice (one lot, deadline in 11 days) with its commission named."""
    from seei.applications import services

    services.name_commission(buyer, published_tender, [president, member], president)
    return published_tender


@pytest.fixture
def two_lot_tender(buyer, category, region, clock, president, member):
    from seei.applications import services
    from seei.core.translated import make
    from seei.tenders import services as tenders

    now = clock.now()
    notice = tenders.create_tender(
        buyer,
        {
            "reference": "AO-2026-002",
            "original_language": "fr",
            "title": make("fr", fr="Acquisition de lits et de brancards"),
            "object": make("fr", fr="Lits et brancards"),
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    tenders.save_lot(buyer, notice, lot_values(now, 1), [item_values()])
    tenders.save_lot(buyer, notice, lot_values(now, 2), [item_values()])
    notice = tenders.publish(buyer, notice)
    services.name_commission(buyer, notice, [president, member], president)
    return notice


@pytest.fixture
def other_tender(buyer, category, region, clock, outsider_member):
    """Another notice of the same buyer, whose commission is ``outsider_member``."""
    from seei.applications import services
    from seei.core.translated import make
    from seei.tenders import services as tenders

    now = clock.now()
    notice = tenders.create_tender(
        buyer,
        {
            "reference": "AO-2026-099",
            "original_language": "fr",
            "title": make("fr", fr="Acquisition de tensiomètres"),
            "object": make("fr", fr="Tensiomètres"),
            "category": category,
            "region": region,
            "delivery_place": "Fès",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    tenders.save_lot(buyer, notice, lot_values(now, 1), [item_values()])
    notice = tenders.publish(buyer, notice)
    services.name_commission(buyer, notice, [outsider_member])
    return notice


def apply(membership, notice, lots=None, **kwargs):
    from seei.applications import services

    kwargs.setdefault("documents", documents())
    kwargs.setdefault("declaration", True)
    return services.apply(
        membership, notice, lots=lots if lots is not None else list(notice.lots.all()), **kwargs
    )


def past_deadline(clock, notice, seconds=1):
    clock.advance(notice.application_deadline - clock.now() + timedelta(seconds=seconds))


@pytest.fixture
def applied(tender, companies):
    """The three companies applied; returns their receipts."""
    return [apply(membership, tender) for membership in companies]


@pytest.fixture
def opened(applied, tender, president, clock):
    """After the deadline, the commission opened the applications."""
    from seei.applications import services

    seat_all(tender)
    past_deadline(clock, tender)
    return services.open_examination(president, tender)


def application_of(membership, notice):
    from seei.applications.models import Application

    return Application.objects.get(tender=notice, company=membership.organisation)


def seat_all(notice):
    """Every member of the notice's commission declares no conflict of interest (before the opening)."""
    from seei.applications import session
    from seei.applications.models import CommissionMember

    for member in CommissionMember.objects.filter(tender=notice).select_related("membership"):
        session.declare_interests(member.membership, notice, conflict=False)


def open_session(notice):
    """The members declare, then the president opens the session."""
    from seei.applications import services
    from seei.applications.models import CommissionMember

    seat_all(notice)
    president = CommissionMember.objects.get(tender=notice, is_president=True).membership
    return services.open_examination(president, notice)


def vote_all(application, decisions):
    """Every seated member votes the same: the commission's decision, unanimous."""
    from seei.applications import services
    from seei.applications.models import CommissionMember

    votes = []
    for member in CommissionMember.objects.filter(
        tender=application.tender, declaration__conflict=False
    ).select_related("membership"):
        votes = services.decide(member.membership, application, decisions)
    return [v.decision for v in votes]
