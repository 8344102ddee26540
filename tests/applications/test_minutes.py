"""The admission minutes: generated from the data, read back from the PDF text."""

import hashlib
import io
import unicodedata
from datetime import timedelta

import pytest
from pypdf import PdfReader

from seei.applications import services
from seei.applications.models import Minutes
from seei.core.translated import make
from seei.documents.pdf import PdfBuilder, is_rtl
from tests.applications.conftest import application_of, apply, past_deadline, seat_all, vote_all


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Shaped Arabic may come back as presentation forms: NFKC gives the plain letters again.
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def minutes_text(minutes: Minutes) -> str:
    with minutes.file.open("rb") as handle:
        return text_of(handle.read())


def test_minutes_contain_the_decisions_members_and_lots(opened, tender, president, member, companies):
    company, other, third = companies
    for membership, outcome, reason in (
        (company, "admitted", ""),
        (other, "admitted", ""),
        (third, "excluded", "Attestation fiscale périmée"),
    ):
        vote_all(application_of(membership, tender), [(tender.lots.get(), outcome, reason)])
    minutes = services.close_examination(president, tender)
    text = minutes_text(minutes)
    assert "Procès-verbal d'admission des candidatures" in text  # the notice's language: French
    assert tender.reference in text and "Acquisition de fauteuils roulants" in text
    for membership in companies:
        assert membership.organisation.name in text and membership.organisation.ice in text
    assert "Karim President" in text and "Salma Membre" in text
    assert text.count("Admise") >= 2 and "Exclue" in text and "Attestation fiscale périmée" in text
    assert "Lots ouverts à l'enchère" in text
    with minutes.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == minutes.sha256


def test_minutes_record_the_unsuccessful_lot(tender, company, other_company, president, clock):
    apply(company, tender)
    apply(other_company, tender)
    seat_all(tender)
    past_deadline(clock, tender)
    services.open_examination(president, tender)
    text = minutes_text(services.close_examination(president, tender))
    assert "Lots infructueux" in text and "moins de 3 candidatures reçues (2)" in text


@pytest.fixture
def arabic_tender(buyer, category, region, clock, president, member):
    from seei.tenders import services as tenders
    from tests.conftest import item_values, lot_values

    now = clock.now()
    notice = tenders.create_tender(
        buyer,
        {
            "reference": "AO-2026-AR1",
            "original_language": "ar",
            "title": make("ar", ar="اقتناء كراسي متحركة", fr="Acquisition de fauteuils roulants"),
            "object": make("ar", ar="توريد كراسي متحركة للمستشفيات الجهوية"),
            "category": category,
            "region": region,
            "delivery_place": "الرباط",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    item = item_values(
        designation=make("ar", ar="كرسي متحرك يدوي قابل للطي"),
        specification=make("ar", ar="هيكل من الفولاذ، عرض المقعد 45 سم"),
    )
    tenders.save_lot(
        buyer, notice, lot_values(now, 1, title=make("ar", ar="الحصة الأولى: كراسي متحركة")), [item]
    )
    notice = tenders.publish(buyer, notice)
    services.name_commission(buyer, notice, [president, member], president)
    return notice


def test_arabic_notice_minutes_are_in_arabic(arabic_tender, companies, president, clock):
    for membership in companies:
        apply(membership, arabic_tender)
    seat_all(arabic_tender)
    past_deadline(clock, arabic_tender)
    services.open_examination(president, arabic_tender)
    lot = arabic_tender.lots.get()
    reasons = {0: "", 1: "", 2: "الشهادة الجبائية منتهية الصلاحية"}
    for index, membership in enumerate(companies):
        outcome = "excluded" if reasons[index] else "admitted"
        vote_all(application_of(membership, arabic_tender), [(lot, outcome, reasons[index])])
    text = minutes_text(services.close_examination(president, arabic_tender))
    for arabic in (
        "محضر قبول الترشيحات",
        "اقتناء كراسي متحركة",
        "الحصة الأولى: كراسي متحركة",
        "مستبعدة",
        "الشهادة الجبائية منتهية الصلاحية",
        "قرارات اللجنة",
    ):
        assert arabic in text, arabic
    assert "Minutes of the admission of applications" in text  # the other languages as headings' notes


def test_builder_shapes_arabic_and_keeps_latin():
    doc = PdfBuilder("Essai", lang="ar")
    doc.title("محضر", subtitle="Procès-verbal")
    doc.table(["الحصة", "Entreprise"], [["1", "Atlas Médical SARL"], ["2", "شركة الأطلس"]])
    text = text_of(doc.output())
    assert (
        "محضر" in text and "Procès-verbal" in text and "شركة الأطلس" in text and "Atlas Médical SARL" in text
    )


def test_direction_detection():
    assert is_rtl("اقتناء") and is_rtl("  1 - اقتناء") and not is_rtl("Lot 1 اقتناء") and not is_rtl("")
