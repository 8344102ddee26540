"""Open data in OCDS 1.1 in the JSON API (public, no authentication), at stable URLs:

- ``GET /ocds/releases?year=YYYY``: the release package of the releases dated in that year (UTC);
- ``GET /ocds/releases/{release_id}``: the release package of one release;
- ``GET /ocds/records/{ocid}``: the record package of one procedure (its releases and compiled release);
- ``GET /ocds/bulk/{year}.jsonl.gz`` and ``/ocds/bulk/{year}.zip``: the year's compiled releases, one
  per line, and its release and record packages;
- ``GET /ocds/extension/extension.json`` and ``release-schema.json``: SEEI's extension.

Each operation's URL is named ``api:ocds_<name>``, which ``seei.ocds.packages.api_url`` reverses.
"""

import json

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from seei.api.schemas import Error
from seei.ocds import packages, schema
from seei.ocds.models import Release

router = Router(tags=["open data"])


class Publisher(Schema):
    name: str
    uri: str | None = None


class Package(Schema):
    uri: str
    version: str = Field(description="The OCDS version: 1.1.")
    extensions: list[str] = Field(description="The extensions used: lots, bids, techniques, and SEEI's own.")
    publishedDate: str = Field(description="When the newest release in the package was stored.")
    publisher: Publisher
    license: str
    publicationPolicy: str


class ReleasePackage(Package):
    releases: list[dict] = Field(description="OCDS 1.1 releases (see the OCDS release schema).")


class RecordPackage(Package):
    records: list[dict] = Field(description="One record per procedure: its releases and compiled release.")


class YearQuery(Schema):
    year: int = Field(ge=2000, le=2999, description="Releases dated in this year (UTC).")


def _json(data, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/json")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _no_release():
    return Http404(_("No open data release matches."))


@router.get("/ocds/releases", response={200: ReleasePackage, 404: Error}, auth=None, url_name="ocds_releases")
def releases(request, filters: Query[YearQuery]):
    """The release package of every release dated in the year: one per step of each procedure."""
    if not packages.year_releases(filters.year).exists():
        raise _no_release()
    return _json(packages.year_release_package(filters.year))


@router.get(
    "/ocds/releases/{release_id}",
    response={200: ReleasePackage, 404: Error},
    auth=None,
    url_name="ocds_release",
)
def release(request, release_id: str):
    """The release package holding one release, at its stable URL."""
    found = Release.objects.filter(release_id=release_id)
    if not found.exists():
        raise _no_release()
    return _json(packages.release_package(found, packages.api_url("release", release_id)))


@router.get(
    "/ocds/records/{ocid}", response={200: RecordPackage, 404: Error}, auth=None, url_name="ocds_record"
)
def record(request, ocid: str):
    """The record package of one procedure: all its releases and its compiled release."""
    package = packages.record_package([ocid], packages.api_url("record", ocid))
    if not package["records"]:
        raise _no_release()
    return _json(package)


def _bulk(year: int, content: bytes, content_type: str, suffix: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="seei-ocds-{year}.{suffix}"'
    return response


@router.get("/ocds/bulk/{year}.jsonl.gz", include_in_schema=False, auth=None, url_name="ocds_bulk_compiled")
def bulk_compiled(request, year: int):
    if not packages.year_releases(year).exists():
        raise _no_release()
    return _bulk(year, packages.compiled_jsonl_gz(year), "application/gzip", "jsonl.gz")


@router.get("/ocds/bulk/{year}.zip", include_in_schema=False, auth=None, url_name="ocds_bulk_packages")
def bulk_packages(request, year: int):
    if not packages.year_releases(year).exists():
        raise _no_release()
    return _bulk(year, packages.packages_zip(year), "application/zip", "zip")


@router.get("/ocds/extension/extension.json", include_in_schema=False, auth=None, url_name="ocds_extension")
def extension(request):
    metadata = schema.load(schema.OWN_EXTENSION / "extension.json")
    metadata["documentationUrl"] = {"en": packages.api_url("extension_readme")}
    return _json(metadata)


@router.get(
    "/ocds/extension/release-schema.json",
    include_in_schema=False,
    auth=None,
    url_name="ocds_extension_schema",
)
def extension_schema(request):
    return _json(schema.load(schema.OWN_EXTENSION / "release-schema.json"))


@router.get("/ocds/extension/README.md", include_in_schema=False, auth=None, url_name="ocds_extension_readme")
def extension_readme(request):
    text = (schema.OWN_EXTENSION / "README.md").read_text(encoding="utf-8")
    return HttpResponse(text, content_type="text/markdown; charset=utf-8")
