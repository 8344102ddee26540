"""Release packages, record packages and the yearly bulk files, from the stored releases.

A record holds every release of a procedure and the compiled release, merged by the reference
implementation of the OCDS merge rules (``ocdsmerge``) with the release schema as SEEI extends it.
A package's ``publishedDate`` is when its newest release was stored, so the same URL gives the same
bytes until something new happens.
"""

import gzip
import io
import json
import zipfile
from datetime import UTC, datetime
from functools import cache

import ocdsmerge
from django.conf import settings
from django.db.models import Max

from seei.ocds import schema
from seei.ocds.build import date
from seei.ocds.models import Release

PUBLISHER = "SEEI"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def api_url(path: str) -> str:
    return f"{settings.SITE_URL}/api/v1/ocds/{path}"


def extensions() -> list[str]:
    return [*schema.EXTENSIONS.values(), api_url("extension/extension.json")]


def _metadata(uri: str, releases) -> dict:
    stored = releases.aggregate(last=Max("stored_at"))["last"]
    return {
        "uri": uri,
        "version": schema.VERSION,
        "extensions": extensions(),
        "publishedDate": date(stored) if stored else None,
        "publisher": {"name": PUBLISHER, "uri": settings.SITE_URL},
        "license": LICENSE,
        "publicationPolicy": f"{settings.SITE_URL}/fr/statistics/#open-data",
    }


def year_releases(year: int):
    """The releases dated in ``year`` (UTC, as their dates are written)."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    return Release.objects.filter(date__gte=start, date__lt=end, tender__practice=False).order_by(
        "date", "id"
    )


def release_package(releases, uri: str) -> dict:
    return {**_metadata(uri, releases), "releases": [row.data for row in releases]}


def year_release_package(year: int) -> dict:
    return release_package(year_releases(year), api_url(f"releases?year={year}"))


@cache
def merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=schema.release_schema())


def compiled(releases: list[dict]) -> dict:
    return merger().create_compiled_release(releases)


def record(ocid: str) -> dict | None:
    releases = [
        row.data for row in Release.objects.filter(ocid=ocid, tender__practice=False).order_by("date", "id")
    ]
    if not releases:
        return None
    return {"ocid": ocid, "releases": releases, "compiledRelease": compiled(releases)}


def record_package(ocids: list[str], uri: str) -> dict:
    releases = Release.objects.filter(ocid__in=ocids, tender__practice=False)
    records = [found for ocid in ocids if (found := record(ocid))]
    return {**_metadata(uri, releases), "records": records}


def year_ocids(year: int) -> list[str]:
    return list(dict.fromkeys(year_releases(year).values_list("ocid", flat=True)))


def compiled_jsonl_gz(year: int) -> bytes:
    """The compiled release of every procedure with a release in ``year``, one JSON per line, gzipped."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
        for ocid in year_ocids(year):
            out.write(json.dumps(record(ocid)["compiledRelease"], ensure_ascii=False).encode() + b"\n")
    return buffer.getvalue()


def packages_zip(year: int) -> bytes:
    """The year's release package and the record package of its procedures."""
    files = {
        f"seei-ocds-{year}-releases.json": year_release_package(year),
        f"seei-ocds-{year}-records.json": record_package(year_ocids(year), api_url(f"bulk/{year}.zip")),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, package in files.items():
            info = zipfile.ZipInfo(name, date_time=(year, 12, 31, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, json.dumps(package, ensure_ascii=False, indent=1))
    return buffer.getvalue()


def years() -> list[int]:
    found = Release.objects.filter(tender__practice=False).datetimes("date", "year", tzinfo=UTC)
    return sorted({moment.year for moment in found})
