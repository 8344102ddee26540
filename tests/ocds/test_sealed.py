"""Nothing sealed or anonymous leaks: who applied stays unknown before the deadline (and after it,
only counts are published), pseudonyms are never tied to companies before the award is final, and an
excluded company is never named."""

import json
from datetime import timedelta

from seei.ocds.build import ocid
from tests.awards.conftest import close_auction, finalise
from tests.conftest import make_company
from tests.ocds.conftest import packages_of, publish
from tests.opendata.conftest import apply


def everything_published(tender) -> str:
    releases, records = packages_of(tender)
    return json.dumps([releases, records], ensure_ascii=False)


def test_applicants_stay_sealed_before_the_deadline(published_tender):
    applicants = [
        make_company(f"Candidat Scellé {i} SARL", f"00888000000{i:04d}", f"scelle{i}@candidat.ma")
        for i in range(3)
    ]
    apply(published_tender.lots.get(), applicants)
    releases = publish(published_tender)
    text = everything_published(published_tender)
    for membership in applicants:
        assert membership.organisation.name not in text
        assert membership.organisation.ice not in text
    assert "bids" not in releases[0]  # not even how many applied
    assert [party["roles"] for party in releases[0]["parties"]] == [["buyer", "procuringEntity"]]


def test_bidders_stay_anonymous_until_the_award_is_final(buyer, category, region, clock):
    from seei.applications.models import Application, Decision

    closed = close_auction(buyer, category, region, clock, reference="AO-OCDS-SEAL")
    company = make_company("Société Écartée SARL", "009990000000001", "ecartee@societe.ma")
    # An excluded applicant of the same lot: never named, only counted.
    application = Application.objects.create(
        tender=closed.lot.tender,
        company=company.organisation,
        submitted_by=company.user,
        submitted_at=clock.now() - timedelta(days=20),
        updated_at=clock.now() - timedelta(days=20),
    )
    application.lots.add(closed.lot)
    Decision.objects.create(
        application=application,
        lot=closed.lot,
        outcome=Decision.Outcome.EXCLUDED,
        reason="Attestation fiscale manquante",
        decided_by=closed.commission.user,
        decided_at=clock.now(),
    )
    tender = closed.lot.tender
    publish(tender)  # the room closed, the award is provisional: nothing about the lot yet
    text = everything_published(tender)
    for membership in closed.ranked:
        assert membership.organisation.name not in text
        assert closed.pseudonym(membership) not in text
    clock.advance(timedelta(hours=1))
    finalise(closed)
    releases = publish(tender)
    text = everything_published(tender)
    assert all(membership.organisation.name in text for membership in closed.ranked)
    assert company.organisation.name not in text and "Attestation fiscale" not in text
    statistics = {s["measure"]: s["value"] for s in releases[-1]["bids"]["statistics"]}
    assert statistics["disqualifiedBidders"] == 1 and statistics["requests"] == 4
    assert releases[-1]["ocid"] == ocid(tender)
