"""The schemas SEEI validates and merges with: unchanged copies of the official ones, and SEEI's own
extension, a valid JSON Schema patch applied by the JSON Merge Patch rule."""

from pathlib import Path

from jsonschema import Draft4Validator

from seei.ocds import schema

OFFICIAL = Path(__file__).resolve().parents[2].parent / "shared" / "ocds"


def test_bundled_copies_are_the_official_files():
    copies = sorted(
        path for path in schema.OFFICIAL.rglob("*") if path.is_file() and path.name != "README.md"
    )
    assert len(copies) == 18
    for copy in copies:
        relative = copy.relative_to(schema.OFFICIAL)
        if relative.parts[0] == "extensions":
            original = OFFICIAL / relative
        else:
            original = OFFICIAL / "standard-1.1.5" / relative
        assert copy.read_bytes() == original.read_bytes(), relative


def test_merge_patch_follows_rfc_7386():
    assert schema.merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == {
        "a": "z",
        "c": {"d": "e"},
    }
    assert schema.merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert schema.merge_patch({"a": "b"}, {"b": {"c": None}}) == {"a": "b", "b": {}}


def test_extended_release_schema_is_valid_and_has_every_extension():
    release = schema.release_schema()
    Draft4Validator.check_schema(release)
    Draft4Validator.check_schema(schema.load(schema.OWN_EXTENSION / "release-schema.json"))
    definitions = release["definitions"]
    assert "lots" in definitions["Tender"]["properties"]  # lots
    assert "bids" in release["properties"]  # bids
    assert "techniques" in definitions["Lot"]["properties"]  # techniques, on the lots extension's Lot
    assert "seeiAuction" in definitions["Lot"]["properties"]  # SEEI's own
    metadata = schema.load(schema.OWN_EXTENSION / "extension.json")
    assert metadata["schemas"] == ["release-schema.json"] and metadata["compatibility"] == ["1.1"]
