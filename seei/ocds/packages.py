"""Release packages, record packages and the yearly bulk files, from the stored releases.

A record holds every release of a procedure and the compiled release, merged by the reference
implementation of the OCDS merge rules (``ocdsmerge``) with the release schema as SEEI extends it.
A package's ``publishedDate`` is when its newest release was stored, so the same URL gives the same
bytes until something new happens.

Stored releases are only ever added, never rewritten: a set of them is identified by its newest row
and its size, so the compiled releases and the bulk files are kept in the cache under that identity
and computed again only once a release is stored (any process may serve them: the key says what they
were made from).
"""

import gzip
import io
import json
import zipfile
from datetime import UTC, datetime
from functools import cache

import ocdsmerge
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import Count, Max

from seei.ocds import schema
from seei.ocds.build import date, site_url
from seei.ocds.models import Release

PUBLISHER = "SEEI"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
KEPT_SECONDS = 7 * 24 * 3600  # a safety net: an entry of an older set of releases is never read again


def api_url(name: str, *args, query: str = "") -> str:
    """The absolute URL of an open data operation of the API (``seei.ocds.api``)."""
    return site_url(f"api:ocds_{name}", *args) + query


def extensions() -> list[str]:
    return [*schema.EXTENSIONS.values(), api_url("extension")]


def _metadata(uri: str, releases) -> dict:
    stored = releases.aggregate(last=Max("stored_at"))["last"]
    return {
        "uri": uri,
        "version": schema.VERSION,
        "extensions": extensions(),
        "publishedDate": date(stored) if stored else None,
        "publisher": {"name": PUBLISHER, "uri": settings.SITE_URL},
        "license": LICENSE,
        "publicationPolicy": site_url("opendata:statistics") + "#open-data",
    }


# What the cache keeps ------------------------------------------------------------------------------------


def _identity(newest: int, stored: datetime | None, count: int) -> str:
    """A set of releases by its newest row, its last storing and its size: adding a release changes
    it (and the storing time tells a rebuilt database's rows from an older one's)."""
    return f"{newest}.{stored.timestamp() if stored else 0}.{count}"


def _kept(*key, compute):
    """``compute()``, or what it gave for the same key (the database's name: test runs and benches
    sharing one cache never read each other's)."""
    full = ":".join(["ocds", connection.settings_dict["NAME"], *map(str, key)])
    found = caches["default"].get(full)
    if found is None:
        found = compute()
        caches["default"].set(full, found, timeout=KEPT_SECONDS)
    return found


# Packages ----------------------------------------------------------------------------------------------


def year_releases(year: int):
    """The releases dated in ``year`` (UTC, as their dates are written)."""
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    return Release.objects.filter(date__gte=start, date__lt=end).order_by("date", "id")


def release_package(releases, uri: str) -> dict:
    return {**_metadata(uri, releases), "releases": [row.data for row in releases]}


def year_release_package(year: int) -> dict:
    return release_package(year_releases(year), api_url("releases", query=f"?year={year}"))


@cache
def merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=schema.release_schema())


def compiled(releases: list[dict]) -> dict:
    return merger().create_compiled_release(releases)


def records(ocids: list[str]) -> list[dict]:
    """The record of each procedure that has releases, in the order of ``ocids``: its releases are
    read in one query, and its compiled release merged only when a release was added since."""
    rows: dict[str, list] = {}
    for row in Release.objects.filter(ocid__in=ocids).order_by("date", "id"):
        rows.setdefault(row.ocid, []).append(row)
    out = []
    for ocid in ocids:
        if ocid not in rows:
            continue
        releases = [row.data for row in rows[ocid]]
        identity = _identity(
            max(row.pk for row in rows[ocid]), max(row.stored_at for row in rows[ocid]), len(rows[ocid])
        )
        merged = _kept("compiled", ocid, identity, compute=lambda releases=releases: compiled(releases))
        out.append({"ocid": ocid, "releases": releases, "compiledRelease": merged})
    return out


def record_package(ocids: list[str], uri: str) -> dict:
    return {**_metadata(uri, Release.objects.filter(ocid__in=ocids)), "records": records(ocids)}


# The yearly bulk files ----------------------------------------------------------------------------------


def year_ocids(year: int) -> list[str]:
    return list(dict.fromkeys(year_releases(year).values_list("ocid", flat=True)))


def _year_identity(year: int) -> str:
    """Of every release of the procedures with one dated in ``year``: their records hold them all."""
    rows = Release.objects.filter(ocid__in=year_releases(year).values("ocid"))
    return _identity(**rows.aggregate(newest=Max("pk"), stored=Max("stored_at"), count=Count("pk")))


def compiled_jsonl_gz(year: int) -> bytes:
    """The compiled release of every procedure with a release in ``year``, one JSON per line, gzipped."""

    def compute() -> bytes:
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
            for found in records(year_ocids(year)):
                out.write(json.dumps(found["compiledRelease"], ensure_ascii=False).encode() + b"\n")
        return buffer.getvalue()

    return _kept("jsonl", year, _year_identity(year), compute=compute)


def packages_zip(year: int) -> bytes:
    """The year's release package and the record package of its procedures."""

    def compute() -> bytes:
        files = {
            f"seei-ocds-{year}-releases.json": year_release_package(year),
            f"seei-ocds-{year}-records.json": record_package(
                year_ocids(year), api_url("bulk_packages", year)
            ),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, package in files.items():
                info = zipfile.ZipInfo(name, date_time=(year, 12, 31, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, json.dumps(package, ensure_ascii=False, indent=1))
        return buffer.getvalue()

    return _kept("zip", year, _year_identity(year), compute=compute)


def years() -> list[int]:
    found = Release.objects.datetimes("date", "year", tzinfo=UTC)
    return sorted({moment.year for moment in found})
