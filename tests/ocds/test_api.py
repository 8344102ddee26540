"""The OCDS API and bulk downloads at their stable URLs, valid against the schemas; practice never
appears; the demo's year 2016 gives its 93 auctions."""

import gzip
import io
import json
import zipfile
from datetime import timedelta

import pytest

from seei.ocds.build import ocid
from tests.ocds.conftest import assert_valid, publish
from tests.opendata.conftest import year_2016  # noqa: F401  (the module-scoped demo year)


@pytest.fixture
def published(published_tender):
    publish(published_tender)
    return published_tender


def year_of(tender) -> int:
    return tender.published_at.year


def test_release_package_of_a_year(client, published):
    response = client.get(f"/api/v1/ocds/releases?year={year_of(published)}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    package = response.json()
    assert_valid("release-package", package)
    assert package["uri"].endswith(f"/api/v1/ocds/releases?year={year_of(published)}")
    assert package["extensions"][-1].endswith("/api/v1/ocds/extension/extension.json")
    assert package["publicationPolicy"].endswith("/fr/statistics/#open-data")
    assert [release["ocid"] for release in package["releases"]] == [ocid(published)]
    assert client.get(f"/api/v1/ocds/releases?year={year_of(published) + 1}").status_code == 404
    assert client.get("/api/v1/ocds/releases?year=twenty").status_code == 422


def test_release_and_record_at_stable_urls(client, published):
    release_id = f"{ocid(published)}-tender"
    package = client.get(f"/api/v1/ocds/releases/{release_id}").json()
    assert_valid("release-package", package)
    assert [release["id"] for release in package["releases"]] == [release_id]
    response = client.get(f"/api/v1/ocds/records/{ocid(published)}")
    assert response.status_code == 200
    assert_valid("record-package", response.json())
    assert response.json()["records"][0]["compiledRelease"]["ocid"] == ocid(published)
    missing = client.get("/api/v1/ocds/records/ocds-nowhere-1")
    assert missing.status_code == 404 and missing.json()["detail"]


def test_bulk_downloads_of_a_year(client, published):
    year = year_of(published)
    lines = gzip.decompress(client.get(f"/api/v1/ocds/bulk/{year}.jsonl.gz").content).decode().splitlines()
    assert [json.loads(line)["ocid"] for line in lines] == [ocid(published)]
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/v1/ocds/bulk/{year}.zip").content))
    releases = json.loads(archive.read(f"seei-ocds-{year}-releases.json"))
    records = json.loads(archive.read(f"seei-ocds-{year}-records.json"))
    assert_valid("release-package", releases)
    assert_valid("record-package", records)
    assert json.loads(lines[0]) == records["records"][0]["compiledRelease"]


def test_own_extension_is_served(client):
    metadata = client.get("/api/v1/ocds/extension/extension.json").json()
    assert metadata["documentationUrl"]["en"].endswith("/api/v1/ocds/extension/README.md")
    patch = client.get("/api/v1/ocds/extension/release-schema.json").json()
    assert "SeeiAuction" in patch["definitions"]
    assert "seeiAuction" in client.get("/api/v1/ocds/extension/README.md").content.decode()


def test_practice_is_never_published(client, buyer, clock, django_capture_on_commit_callbacks):
    """The switch at publication: a practice notice goes through the steps, and neither the hook, the
    sweep nor the backfill stores a release of it, so the API has nothing to show."""
    from seei.ocds.models import Release
    from seei.ocds.publish import sweep, sync_all
    from seei.practice import procedure
    from seei.tenders import services

    practice = procedure.start(buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(buyer, practice)  # the step's hook runs
    practice.refresh_from_db()
    assert practice.practice and practice.published_at
    assert sweep() == 0 and sync_all() == 0
    assert not Release.objects.exists()
    assert client.get(f"/api/v1/ocds/releases?year={year_of(practice)}").status_code == 404
    assert client.get(f"/api/v1/ocds/records/{ocid(practice)}").status_code == 404
    assert client.get(f"/api/v1/ocds/releases/{ocid(practice)}-tender").status_code == 404
    assert client.get(f"/api/v1/ocds/bulk/{year_of(practice)}.zip").status_code == 404


def test_compiled_releases_are_merged_again_only_when_a_release_is_stored(
    client, published, buyer, clock, monkeypatch
):
    from seei.core.translated import make
    from seei.ocds import packages
    from seei.tenders import services

    merges = []
    merge = packages.compiled
    monkeypatch.setattr(packages, "compiled", lambda releases: merges.append(1) or merge(releases))
    year = year_of(published)
    record_url, bulk_url = f"/api/v1/ocds/records/{ocid(published)}", f"/api/v1/ocds/bulk/{year}.jsonl.gz"
    first = client.get(record_url).json()
    bulk = client.get(bulk_url).content
    assert client.get(record_url).json() == first and client.get(bulk_url).content == bulk
    assert len(merges) == 1  # every download after the first is served from the cache

    clock.advance(timedelta(days=1))
    services.publish_erratum(
        buyer, published, "Titre", tender_values={"title": make("fr", fr="Nouveau titre")}
    )
    publish(published)
    compiled = client.get(record_url).json()["records"][0]["compiledRelease"]
    assert compiled["tender"]["title"] == "Nouveau titre"  # never a stale copy
    assert json.loads(gzip.decompress(client.get(bulk_url).content)) == compiled
    assert len(merges) == 2


def test_demo_year_2016_validates_with_its_93_auctions(client, year_2016):  # noqa: F811
    from seei.ocds.publish import sweep, sync_all

    sync_all()
    assert sweep() == 0  # the sweep counts the 93 procedures' steps as the backfill found them
    package = client.get("/api/v1/ocds/releases?year=2016").json()
    assert_valid("release-package", package)
    assert len({release["ocid"] for release in package["releases"]}) == 93
    tags = [release["tag"][0] for release in package["releases"]]
    assert tags.count("tender") == 93
    assert "award" in tags and "tenderUpdate" in tags
