"""A release per step of a notice's life, in every state, valid against the official OCDS 1.1.5
schemas with the lots, bids, techniques and SEEI extensions; the record compiles its releases."""

import json
from datetime import timedelta
from decimal import Decimal

import ocdsmerge
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext

from seei.ocds import schema
from tests.awards.conftest import close_auction, submit
from tests.ocds.conftest import packages_of, publish


def tags(releases) -> list[str]:
    return [tag for release in releases for tag in release["tag"]]


def compiled_of(records: dict) -> dict:
    (record,) = records["records"]
    return record["compiledRelease"]


def check_record_compiles(releases: list[dict], records: dict) -> dict:
    """The record holds exactly the releases, and its compiled release is what merging them gives."""
    (record,) = records["records"]
    assert record["releases"] == releases
    merged = ocdsmerge.Merger(schema=schema.release_schema()).create_compiled_release(releases)
    assert record["compiledRelease"] == merged
    assert merged["tag"] == ["compiled"] and merged["date"] == releases[-1]["date"]
    return merged


def test_published_notice_gives_a_tender_release(published_tender, settings):
    settings.SEEI_OCID_PREFIX = "ocds-test01"
    releases = publish(published_tender)
    assert tags(releases) == ["tender"]
    (release,) = releases
    assert release["ocid"] == f"ocds-test01-{published_tender.pk}"
    assert release["id"] == f"ocds-test01-{published_tender.pk}-tender"
    tender = release["tender"]
    assert tender["status"] == "active"
    assert tender["title"] == "Acquisition de fauteuils roulants"
    assert tender["title_ar"] == "اقتناء كراسي متحركة" and tender["title_en"] == "Purchase of wheelchairs"
    assert tender["techniques"] == {"hasElectronicAuction": True}
    (lot,) = tender["lots"]
    assert lot["techniques"]["hasElectronicAuction"] is True
    assert lot["seeiAuction"]["startingPrice"] == {"amount": 600000.0, "currency": "MAD"}
    assert lot["seeiAuction"]["minimumDecrement"] == {
        "kind": "amount",
        "value": 1000.0,
        "amount": {"amount": 1000.0, "currency": "MAD"},
    }
    assert lot["seeiAuction"]["maximumDecrement"]["amount"] == {"amount": 60000.0, "currency": "MAD"}
    assert [item["relatedLot"] for item in tender["items"]] == ["1"]
    assert [party["roles"] for party in release["parties"]] == [["buyer", "procuringEntity"]]
    _, records = packages_of(published_tender)
    check_record_compiles(releases, records)
    assert publish(published_tender) == releases  # nothing new happened: nothing new is stored


def test_erratum_gives_a_tender_amendment(published_tender, buyer, clock):
    from seei.core.translated import make
    from seei.tenders import services

    first = publish(published_tender)
    clock.advance(timedelta(days=1))
    lot = published_tender.lots.get()
    services.publish_erratum(
        buyer,
        published_tender,
        "Quantité revue",
        tender_values={"title": make("fr", fr="Acquisition de fauteuils roulants (rectifié)")},
        lot_values={lot: {"estimated_amount": Decimal("650000.00")}},
    )
    releases = publish(published_tender)
    assert releases[0] == first[0]  # a stored release never changes
    assert tags(releases) == ["tender", "tenderAmendment"]
    amended = releases[1]["tender"]
    assert amended["title"] == "Acquisition de fauteuils roulants (rectifié)"
    with translation.override("fr"):  # the notice's language, which the release declares
        description = gettext("Erratum %(number)s (substantive): %(fields)s.")
    assert amended["amendments"] == [
        {
            "id": "1",
            "date": releases[1]["date"],
            "rationale": "Quantité revue",
            "description": description
            % {"number": 1, "fields": "title, lot1.estimated_amount, application_deadline"},
            "amendsReleaseID": releases[0]["id"],
            "releaseID": releases[1]["id"],
        }
    ]
    _, records = packages_of(published_tender)
    merged = check_record_compiles(releases, records)
    assert merged["tender"]["title"].endswith("(rectifié)")
    assert merged["tender"]["lots"][0]["value"]["amount"] == 650000.0
    # The first release keeps the notice as it was first published (also when backfilled later).
    assert releases[0]["tender"]["title"] == "Acquisition de fauteuils roulants"
    assert releases[0]["tender"]["lots"][0]["value"]["amount"] == 600000.0


def test_backfilled_history_keeps_each_version(published_tender, buyer, clock):
    """Published after the erratum (a backfill): the tender release still shows the first version."""
    from seei.core.translated import make
    from seei.tenders import services

    clock.advance(timedelta(days=1))
    services.publish_erratum(
        buyer, published_tender, "Titre", tender_values={"title": make("fr", fr="Nouveau titre")}
    )
    releases = publish(published_tender)
    assert [r["tender"]["title"] for r in releases] == ["Acquisition de fauteuils roulants", "Nouveau titre"]
    packages_of(published_tender)


def test_seei_phrases_are_in_the_notice_language(draft_tender, buyer, clock):
    """A French notice's release says, in French, which erratum withdrew a document (the tests'
    active language is English)."""
    from seei.tenders import services

    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    document = services.add_document(buyer, draft_tender, SimpleUploadedFile("cps.pdf", pdf), "CPS")
    services.publish(buyer, draft_tender)
    clock.advance(timedelta(days=1))
    services.publish_erratum(buyer, draft_tender, "CPS retiré", withdrawn_documents=[document])
    releases = publish(draft_tender)
    assert [r["language"] for r in releases] == ["fr", "fr"]
    (withdrawn,) = releases[1]["tender"]["documents"]
    assert withdrawn["description"] == "Retiré par l'erratum 1"
    packages_of(draft_tender)


def test_the_sweep_stores_what_a_lost_hook_missed_and_skips_the_rest(
    published_tender, buyer, clock, monkeypatch
):
    from seei.core.translated import make
    from seei.ocds import publish as ocds_publish
    from seei.ocds.models import Release
    from seei.tenders import services

    publish(published_tender)
    synced, sync = [], ocds_publish.sync
    monkeypatch.setattr(ocds_publish, "sync", lambda pk: synced.append(pk) or sync(pk))
    assert ocds_publish.sweep() == 0 and synced == []  # everything stored: not even looked at
    clock.advance(timedelta(days=1))
    # An erratum whose hook never ran (a test never commits): the sweep stores its release.
    services.publish_erratum(buyer, published_tender, "Titre", tender_values={"title": make("fr", fr="T")})
    assert ocds_publish.sweep() == 1 and synced == [published_tender.pk]
    assert ocds_publish.sweep() == 0 and synced == [published_tender.pk]
    assert Release.objects.filter(tender=published_tender).count() == 2


def test_cancelled_notice_gives_a_tender_cancellation(published_tender):
    from seei.tenders.models import Tender

    publish(published_tender)
    Tender.objects.filter(pk=published_tender.pk).update(status=Tender.Status.CANCELLED)
    releases = publish(published_tender)
    assert tags(releases) == ["tender", "tenderCancellation"]
    _, records = packages_of(published_tender)
    merged = check_record_compiles(releases, records)
    assert merged["tender"]["status"] == "cancelled"
    assert [lot["status"] for lot in merged["tender"]["lots"]] == ["cancelled"]


def test_lot_without_bids_is_unsuccessful(buyer, category, region, clock):
    closed = close_auction(buyer, category, region, clock, prices=(), idle=2, reference="AO-OCDS-NOBID")
    releases = publish(closed.lot.tender)
    assert tags(releases) == ["tender", "tenderUpdate"]
    update = releases[1]
    assert update["tender"]["status"] == "unsuccessful"
    assert update["tender"]["lots"][0]["status"] == "unsuccessful"
    statistics = {s["measure"]: s["value"] for s in update["bids"]["statistics"]}
    assert statistics["requests"] == 2 and statistics["qualifiedBidders"] == 2 and statistics["bids"] == 0
    assert "details" not in update["bids"] and "parties" not in update
    _, records = packages_of(closed.lot.tender)
    assert check_record_compiles(releases, records)["tender"]["status"] == "unsuccessful"


def test_award_with_no_candidate_left_is_unsuccessful(buyer, category, region, clock):
    from seei.awards import services

    closed = close_auction(
        buyer, category, region, clock, prices=("590000", "585000"), reference="AO-OCDS-FAIL"
    )
    for rank in (1, 2):
        submit(closed)
        services.fail(closed.commission, closed.award, rank, "Pièces non conformes")
    releases = publish(closed.lot.tender)
    assert tags(releases) == ["tender", "award"]
    (award,) = releases[1]["awards"]
    assert award["status"] == "unsuccessful" and "suppliers" not in award
    assert "details" not in releases[1]["bids"]
    text = json.dumps(releases, ensure_ascii=False)
    for membership in closed.ranked:  # never final: no identity is revealed
        assert membership.organisation.name not in text
        assert closed.pseudonym(membership) not in text
    _, records = packages_of(closed.lot.tender)
    merged = check_record_compiles(releases, records)
    assert merged["tender"]["status"] == "unsuccessful" and merged["awards"][0]["status"] == "unsuccessful"


def test_final_award_reveals_bids_and_supplier(awarded):
    tender = awarded.lot.tender
    releases = publish(tender)
    assert tags(releases) == ["tender", "award"]
    release = releases[1]
    winner = awarded.ranked[0].organisation
    (award,) = release["awards"]
    assert award["status"] == "active"
    assert award["value"] == {"amount": 585000.0, "currency": "MAD"}
    assert award["suppliers"] == [{"id": f"SEEI-{winner.pk}", "name": winner.name}]
    details = release["bids"]["details"]
    assert [d["value"]["amount"] for d in details] == [585000.0, 588000.0, 590000.0]
    assert [d["tenderers"][0]["name"] for d in details] == [m.organisation.name for m in awarded.ranked]
    assert award["relatedBid"] == details[0]["id"]
    roles = {party["name"]: party["roles"] for party in release["parties"]}
    assert roles[winner.name] == ["tenderer", "supplier"]
    assert roles[awarded.ranked[1].organisation.name] == ["tenderer"]
    results = release["tender"]["lots"][0]["seeiAuction"]["results"]
    assert results["ledger"]["finalHash"] == awarded.room.last_hash
    assert results["numberOfBids"] == 3 and results["numberOfBidders"] == 3
    assert results["ledger"]["url"].endswith(f"/api/v1/lots/{awarded.lot.pk}/ledger")
    statistics = {s["measure"]: s["value"] for s in release["bids"]["statistics"]}
    assert statistics["lowestValidBidValue"] == 585000.0 and statistics["highestValidBidValue"] == 590000.0
    _, records = packages_of(tender)
    merged = check_record_compiles(releases, records)
    assert merged["tender"]["status"] == "complete" and merged["tender"]["lots"][0]["status"] == "complete"


def test_visa_and_payments_give_contract_and_implementation(paid):
    tender = paid.lot.tender
    releases = publish(tender)
    assert tags(releases) == ["tender", "award", "contract", "implementation", "implementation"]
    (contract,) = releases[2]["contracts"]
    assert contract["status"] == "active" and contract["awardID"] == "award-1"
    assert [r["contracts"][0]["status"] for r in releases[3:]] == ["active", "terminated"]
    _, records = packages_of(tender)
    merged = check_record_compiles(releases, records)
    (contract,) = merged["contracts"]
    assert contract["status"] == "terminated"
    transactions = contract["implementation"]["transactions"]
    assert sum(t["value"]["amount"] for t in transactions) == 585000.0
    winner = paid.ranked[0].organisation.name
    roles = {party["name"]: party["roles"] for party in merged["parties"]}
    assert roles[winner] == ["tenderer", "supplier", "payee"]
    assert "payer" in roles["Trésorerie ministérielle de la Santé"]


def test_hooks_publish_each_step_after_commit(draft_tender, buyer, django_capture_on_commit_callbacks):
    from seei.ocds.models import Release
    from seei.tenders import services

    with django_capture_on_commit_callbacks(execute=True):
        services.publish(buyer, draft_tender)
    assert list(Release.objects.filter(tender=draft_tender).values_list("step", flat=True)) == ["tender"]


def test_a_failing_publication_never_blocks_the_step(
    draft_tender, buyer, monkeypatch, django_capture_on_commit_callbacks
):
    from seei.ocds import publish as ocds_publish
    from seei.tenders import services
    from seei.tenders.models import Tender

    def broken(tender_id):
        raise RuntimeError("open data down")

    monkeypatch.setattr(ocds_publish, "sync", broken)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(buyer, draft_tender)
    assert Tender.objects.get(pk=draft_tender.pk).status == Tender.Status.PUBLISHED


def test_drafts_are_never_published(draft_tender):
    from seei.ocds.models import Release
    from seei.ocds.publish import sweep, sync_all

    assert sync_all() == 0 and sweep() == 0
    assert not Release.objects.exists()
