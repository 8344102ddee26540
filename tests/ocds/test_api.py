"""The OCDS API and bulk downloads at their stable URLs, valid against the schemas; practice never
appears; the demo's year 2016 gives its 93 auctions."""

import gzip
import io
import json
import zipfile

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


def test_practice_never_reaches_the_api(client, published, draft_tender):
    from seei.ocds.models import Release

    published.__class__.objects.filter(pk=published.pk).update(practice=True)
    assert Release.objects.filter(tender=published).exists()  # stored before it became practice
    assert client.get(f"/api/v1/ocds/releases?year={year_of(published)}").status_code == 404
    assert client.get(f"/api/v1/ocds/records/{ocid(published)}").status_code == 404
    assert client.get(f"/api/v1/ocds/releases/{ocid(published)}-tender").status_code == 404


def test_demo_year_2016_validates_with_its_93_auctions(client, year_2016):  # noqa: F811
    from seei.ocds.publish import sync_all

    sync_all()
    package = client.get("/api/v1/ocds/releases?year=2016").json()
    assert_valid("release-package", package)
    assert len({release["ocid"] for release in package["releases"]}) == 93
    tags = [release["tag"][0] for release in package["releases"]]
    assert tags.count("tender") == 93
    assert "award" in tags and "tenderUpdate" in tags
