"""The OCDS 1.1.5 release schema with the extensions SEEI uses, patched as OCDS says: each
extension's ``release-schema.json`` applied as a JSON Merge Patch (RFC 7386).

The official files are copied unchanged in ``schema/``; SEEI's own extension is in ``extension/``.
The patched schema gives the merge rules of the records (``seei.ocds.records``) and is what the
tests validate every package against.
"""

import json
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
OFFICIAL = HERE / "schema"
OWN_EXTENSION = HERE / "extension"
VERSION = "1.1"
BASE_URI = "https://standard.open-contracting.org/schema/1__1__5/"

# The official extensions, at the URLs of the versions copied in schema/extensions (see each SOURCE).
EXTENSIONS = {
    "lots": "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "bids": "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
    "techniques": "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/"
    "5568b00a8dd694a3d34441bdd9ef2bd3f9d44b11/extension.json",
}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def merge_patch(target, patch):
    """RFC 7386: objects merge key by key, ``null`` removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def extension_patches() -> list[dict]:
    official = [load(OFFICIAL / "extensions" / name / "release-schema.json") for name in EXTENSIONS]
    return [*official, load(OWN_EXTENSION / "release-schema.json")]


@cache
def release_schema() -> dict:
    """The release schema with every extension applied (cached: it never changes in a process)."""
    schema = load(OFFICIAL / "release-schema.json")
    for patch in extension_patches():
        schema = merge_patch(schema, patch)
    return schema


def package_schema(kind: str) -> dict:
    """``release-package`` or ``record-package``, as published (they refer to the release schema by URI)."""
    return load(OFFICIAL / f"{kind}-schema.json")


def versioned_release_schema() -> dict:
    return load(OFFICIAL / "versioned-release-validation-schema.json")
