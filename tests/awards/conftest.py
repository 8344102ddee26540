"""Fixtures of the award tests: a lot whose auction really closed (rooms, bids and close through
seei.auctions.services), its award, the candidates' documents and the accountant posts.

Bids go through ``services.record_bid`` under the room's lock, inside the test's transaction, so
these tests need no second connection; the e2e test does the same against the live server.
"""

import io
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from tests.conftest import item_values, lot_values, make_company, make_member, run_after_close_jobs


def pdf_bytes(title: str = "Attestation") -> bytes:
    """A real one-page PDF: the upload check reads the content, not the name."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_upload(name: str = "attestation.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(name), content_type="application/pdf")


def exe_upload(name: str = "attestation.pdf") -> SimpleUploadedFile:
    """A Windows executable renamed .pdf."""
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf")


def all_documents(award) -> dict:
    return {kind: pdf_upload(f"{kind}.pdf") for kind in award.required_documents}


@dataclass
class ClosedLot:
    lot: object
    buyer: object
    commission: object  # the president of the notice's commission (a Membership)
    ranked: list  # company members' Memberships, best price first
    idle: list = field(default_factory=list)  # admitted companies that placed no bid

    @property
    def award(self):
        from seei.awards.models import Award

        return Award.objects.get(lot=self.lot)

    @property
    def room(self):
        from seei.auctions.models import Room

        return Room.objects.get(lot=self.lot)

    def pseudonym(self, membership) -> str:
        from seei.auctions.models import Bidder

        return Bidder.objects.get(room__lot=self.lot, company=membership.organisation).pseudonym


def place(lot, membership, amount, clock) -> None:
    """One bid through the ENGINE's ORM path (record_bid), with the room row locked."""
    from seei.auctions import rules, services
    from seei.auctions.models import Bidder, Room

    with transaction.atomic():
        room = Room.objects.select_for_update().get(lot=lot)
        pseudonym = Bidder.objects.get(room=room, company=membership.organisation).pseudonym
        result = services.record_bid(room, pseudonym, Decimal(amount), clock.now())
    assert isinstance(result, rules.Accepted), result


def close_auction(
    buyer,
    category,
    region,
    clock,
    *,
    prices=("590000", "585000", "588000"),
    idle=0,
    reference="AO-AWARD-001",
    language="fr",
    start=True,
    before_close=None,
    **lot_overrides,
) -> ClosedLot:
    """A published notice whose only lot went through the room: admitted companies, one bid each at
    ``prices`` (in that order), the close, and (``start``) the award's start, as the close's hook does.
    ``before_close`` is called with the lot just before the close (e.g. to bid in the last minutes)."""
    from seei.applications.models import CommissionMember
    from seei.auctions import services as auctions
    from seei.awards import services as awards
    from seei.core.translated import make
    from seei.tenders import services
    from tests.auctions.conftest import admit

    now = clock.now()
    texts = {
        "fr": {
            "title": make("fr", fr="Acquisition de fauteuils roulants", en="Purchase of wheelchairs"),
            "object": make("fr", fr="Fourniture de fauteuils roulants pour les hôpitaux régionaux"),
            "lot": make("fr", fr="Fauteuils roulants manuels", en="Manual wheelchairs"),
            "item": item_values(),
        },
        "ar": {
            "title": make("ar", ar="اقتناء كراسي متحركة", fr="Acquisition de fauteuils roulants"),
            "object": make("ar", ar="توريد كراسي متحركة للمستشفيات الجهوية"),
            "lot": make("ar", ar="الحصة الأولى: كراسي متحركة"),
            "item": item_values(
                designation=make("ar", ar="كرسي متحرك يدوي قابل للطي"),
                specification=make("ar", ar="هيكل من الفولاذ، عرض المقعد 45 سم"),
            ),
        },
    }[language]
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": language,
            "title": texts["title"],
            "object": texts["object"],
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    lot = services.save_lot(
        buyer, tender, lot_values(now, title=texts["lot"], **lot_overrides), [texts["item"]]
    )
    services.publish(buyer, tender)
    tag = zlib.crc32(reference.encode()) % 10_000
    president = make_member(
        f"president@{reference.lower()}.gov.ma",
        buyer.organisation,
        "commission_member",
        first_name="Karim",
        last_name="President",
    )
    CommissionMember.objects.create(tender=tender, membership=president, is_president=True)
    names = ["Atlas Médical SARL", "Sahara Equipements SA", "Maghreb Santé SARL", "Rif Orthopédie SARL"]
    members = [
        make_company(
            f"{names[i % len(names)]} {tag}", f"8{tag:04d}{i:010d}", f"bidder{i}@{reference.lower()}.ma"
        )
        for i in range(len(prices) + idle)
    ]
    admit(lot, members, president)
    lot.refresh_from_db()
    auctions.prepare_room(lot)
    clock.advance(lot.opens_at - clock.now() + timedelta(seconds=1))
    auctions.open_room(lot.pk)
    for membership, price in zip(members, prices, strict=False):
        place(lot, membership, price, clock)
        clock.advance(timedelta(seconds=1))
    if before_close is not None:
        before_close(lot, members)
    from seei.auctions.models import Room

    clock.advance(Room.objects.get(lot=lot).closes_at - clock.now() + timedelta(seconds=2))
    assert auctions.close_room(lot.pk).status == "closed"
    if start:
        assert run_after_close_jobs() == 1  # the close's follow-ups: everyone told, the award started
    else:
        with mock.patch.object(awards, "start_award", lambda lot: None):  # told, the award's start missed
            run_after_close_jobs()
    order = sorted(range(len(prices)), key=lambda i: (Decimal(prices[i]), i))
    lot.refresh_from_db()
    return ClosedLot(lot, buyer, president, [members[i] for i in order], members[len(prices) :])


@pytest.fixture(autouse=True)
def _people_read_english(monkeypatch):
    """Notifications are written in each person's language; these tests read English."""
    from seei.accounts.models import User

    field = User._meta.get_field("language")
    monkeypatch.setattr(field, "default", "en")
    monkeypatch.setattr(field, "_get_default", lambda: "en")


@pytest.fixture
def closed(buyer, category, region, clock):
    """Three bids: 590,000 / 585,000 / 588,000 MAD on a 600,000 MAD estimate; the award has started.
    ``closed.ranked`` = [585,000 (rank 1), 588,000 (rank 2), 590,000 (rank 3)]."""
    return close_auction(buyer, category, region, clock)


def make_accountant(post_name: str, email: str, perimeter, **extra):
    """An accountant of a new post whose perimeter is ``perimeter`` (buyer organisations)."""
    from seei.accounts.models import Organisation

    post = Organisation.objects.create(kind="accountant_post", name=post_name)
    post.perimeter.add(*perimeter)
    return make_member(email, post, "accountant", **extra)


def ministry_accountant(buyer_org):
    """The accountant of the post whose perimeter is the ministry: its directorates are in it too."""
    return make_accountant(
        "Trésorerie ministérielle de la Santé",
        "comptable@tresor-sante.gov.ma",
        [buyer_org.parent],
        first_name="Nadia",
        last_name="Comptable",
    )


def fes_accountant(other_buyer_org):
    """An accountant of another post (the commune of Fès): nothing of the ministry is in its perimeter."""
    return make_accountant("Perception de Fès", "comptable@perception-fes.gov.ma", [other_buyer_org])


@pytest.fixture
def accountant(buyer_org):
    return ministry_accountant(buyer_org)


@pytest.fixture
def other_accountant(other_buyer_org):
    return fes_accountant(other_buyer_org)


@pytest.fixture
def outsider_commission(buyer_org):
    """A commission member of the same buyer, not on this notice's commission."""
    return make_member("autre.commission@sante.gov.ma", buyer_org, "commission_member")


def submit(closed_lot, membership=None):
    """The current candidate submits every required document."""
    from seei.awards import services

    award = closed_lot.award
    step = award.current_step()
    membership = membership or next(m for m in closed_lot.ranked if m.organisation_id == step.company_id)
    return services.submit_documents(membership, award, all_documents(award))


def finalise(closed_lot, rank=1):
    """Documents in, award confirmed for the candidate of ``rank`` (the current one)."""
    from seei.awards import services

    submit(closed_lot)
    return services.confirm(closed_lot.commission, closed_lot.award, rank)


def commitment(award, amount=None, budget_line="1.2.3.40 — Matériel médical"):
    """The commitment a granted visa records: by default the whole award, dated today."""

    from seei.core import clock

    return {
        "commitment_amount": award.amount if amount is None else amount,
        "budget_line": budget_line,
        "committed_on": clock.today(),
    }


def grant_visa(closed_lot, accountant, **overrides):
    from seei.awards import services

    award = closed_lot.award
    return services.give_visa(accountant, award, "granted", **{**commitment(award), **overrides})
