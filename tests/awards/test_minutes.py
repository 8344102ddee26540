"""The auction minutes: generated from the data, read back from the PDF's text."""

import hashlib
import io
import re
import unicodedata
from datetime import timedelta

from pypdf import PdfReader

from seei.applications.models import Minutes
from seei.auctions import reasons, signing
from seei.awards import services
from seei.awards.minutes import auction_minutes_pdf
from seei.transparency.models import TreeHead
from tests.awards.conftest import close_auction, finalise, place, submit


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Shaped Arabic may come back as presentation forms: NFKC gives the plain letters again.
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def latest(closed_lot) -> tuple[Minutes, str]:
    minutes = (
        Minutes.objects.filter(lot=closed_lot.lot, kind="auction").order_by("-generated_at", "-pk").first()
    )
    with minutes.file.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == minutes.sha256  # stored with its own hash
    return minutes, text_of(data)


def rows_in_order(text: str, needles: list[str]) -> bool:
    positions = [text.find(needle) for needle in needles]
    return -1 not in positions and positions == sorted(positions)


def test_minutes_contain_the_ranking_and_the_final_hash(closed):
    room = closed.room
    _minutes, text = latest(closed)
    assert "Procès-verbal de l'enchère électronique inversée" in text  # the notice's language: French
    assert closed.lot.tender.reference in text and "Fauteuils roulants manuels" in text
    pseudonyms = [closed.pseudonym(member) for member in closed.ranked]
    ranking = text[text.index("Classement final") : text.index("Prorogations")]
    assert rows_in_order(ranking, pseudonyms)
    for pseudonym, amount in zip(pseudonyms, ("585000,00", "588000,00", "590000,00"), strict=True):
        line = next(line for line in ranking.splitlines() if pseudonym in line)
        assert amount in re.sub(r"\s", "", line), line
    assert room.last_hash in text.replace("\n", "")  # the final hash, whole
    assert room.last_hash == closed.room.entries.get(type="close").hash
    assert "seei verify LEDGER.json --site" in text and f"/api/v1/lots/{closed.lot.pk}/ledger" in text
    assert signing.fingerprint() in text.replace("\n", "")  # the key that must have signed it
    # The log's signed head, written where anyone can hold the platform to it.
    head = TreeHead.objects.order_by("-size").first().as_head()
    assert "Journal de transparence" in text
    assert all(value in text.replace("\n", "") for value in (head["root"], head["at"], head["prev"]))
    assert "/auctions/public-key/" in text
    # Before the award is final, no company is named.
    assert "Les identités restent masquées jusqu'à l'attribution définitive." in text
    for member in closed.ranked:
        assert member.organisation.name not in text
    assert "Provisoire : pièces demandées" in text


def test_final_minutes_name_the_companies_and_record_every_step(closed):
    submit(closed)
    services.fail(closed.commission, closed.award, 1, "Attestation fiscale périmée")
    finalise(closed, rank=2)
    minutes, text = latest(closed)
    assert Minutes.objects.filter(lot=closed.lot, kind="auction").count() == 3  # start, failure, final
    assert "Définitive" in text and "Étapes de l'attribution" in text
    for member in closed.ranked:
        assert member.organisation.name in text and member.organisation.ice in text
    assert "Défaillant : Attestation fiscale périmée" in text
    assert "Attribution confirmée" in text
    assert closed.room.last_hash in text.replace("\n", "")


def test_minutes_record_the_extensions(buyer, category, region, clock):
    def last_minute_bid(lot, members):
        close = lot.room.closes_at
        clock.advance(close - clock.now() - timedelta(seconds=60))
        place(lot, members[0], "580000", clock)

    closed_lot = close_auction(
        buyer, category, region, clock, reference="AO-AWARD-EXT", before_close=last_minute_bid
    )
    _minutes, text = latest(closed_lot)
    assert "Prorogations (1)" in text
    assert closed_lot.room.state["extensions"] == 1


def test_arabic_minutes_render_arabic_text(buyer, category, region, clock):
    closed_lot = close_auction(buyer, category, region, clock, reference="AO-AWARD-AR", language="ar")
    _minutes, text = latest(closed_lot)
    for arabic in (
        "محضر المزاد الإلكتروني العكسي",
        "اقتناء كراسي متحركة",
        "الحصة الأولى: كراسي متحركة",
        "الترتيب النهائي",
        "البصمة النهائية للسجل",
        "مراحل الإسناد",
    ):
        assert arabic in text, arabic
    assert "Minutes of the reverse electronic auction" in text  # the other languages under the headings
    assert closed_lot.room.last_hash in text.replace("\n", "")
    for member in closed_lot.ranked:
        assert closed_lot.pseudonym(member) in text


def test_minutes_amounts_use_the_notice_language(closed):
    data = auction_minutes_pdf(closed.award, closed.award.created_at)
    text = text_of(data)
    assert reasons.format_amount(closed.lot.starting_price, "MAD", "fr").replace(
        "\u00a0", " "
    ) in text.replace("\u00a0", " ")
