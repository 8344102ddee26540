"""The schemas SEEI validates and merges with: unchanged copies of the official ones, and SEEI's own
extension, a valid JSON Schema patch applied by the JSON Merge Patch rule."""

import hashlib

from jsonschema import Draft4Validator

from seei.ocds import schema

# SHA-256 of the official files (../shared/ocds: standard 1.1.5 and the extensions), taken when they
# were copied: a copy edited by hand no longer matches.
OFFICIAL_SHA256 = {
    "LICENSE": "121f2d55df06faa5f366feb63385f73c5952959678f9fc6d042010d4f43b2619",
    "SOURCE": "fd4d48425e7725dce19bad81cdd3f86df8eb981004db89b9694c844ea5fc4875",
    "extensions/bids/LICENSE": "b40930bbcf80744c86c46a12bc9da056641d722716c378f5659b9e555ef833e1",
    "extensions/bids/SOURCE": "6dd0ff63a90684ded51c237bdcb9e23f689056cdf7a50413d7d76bc642dbddc7",
    "extensions/bids/extension.json": "a6b07fddb08f1f93155c0b2cb322e2372fe140bb026af5c63a488089db47f2d7",
    "extensions/bids/release-schema.json": "ca8f5caf44eeaa6e8471e71231baa4ac134eae6551e77313364f3ecbdd94a1c5",
    "extensions/lots/LICENSE": "b40930bbcf80744c86c46a12bc9da056641d722716c378f5659b9e555ef833e1",
    "extensions/lots/SOURCE": "5011e43b1a66d558292eb9861135cf25e8f69d5a8678b676ae62774bcf1b877d",
    "extensions/lots/extension.json": "86e458df1013226c62de9633e98b190e672c7b6a4885a1b91321053db88be257",
    "extensions/lots/release-schema.json": "d5a06935c6c1da86a7245edc5ccf365db0fc94275c292577cd898bd216333e0c",
    "extensions/techniques/LICENSE": "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
    "extensions/techniques/SOURCE": "637bfe460b22902ec4b8fbcdbd5023f38d1d0f2d80c5ee5383df8a6f7cb809d2",
    "extensions/techniques/extension.json": "79dfd827463f62caea99e80b4011bb0cdf9fc83a4dd5f6a4e27931af3ffc5d1b",
    "extensions/techniques/release-schema.json": "f686964faf820488b55694462713b0a9184381846a10395c315d94499b282314",
    "record-package-schema.json": "ba7bc9acfc307b6f311a54a62f686f1d9e199e61712314f995a090b660168da1",
    "release-package-schema.json": "06577cec73cc16eca0cac331a7ea9ee9cd684b21c55f5f0711f7442623153698",
    "release-schema.json": "fac192e1ccfb061f5164bdb2d64c29e517c0f81661996b97de40cebc55a2c1bc",
    "versioned-release-validation-schema.json": "7b0271756c954eba16fdd1b364811aaf5381d23d057400b906a2aa978dc5cf84",
}


def test_bundled_copies_are_the_official_files():
    copies = {
        str(path.relative_to(schema.OFFICIAL)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in schema.OFFICIAL.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert copies == OFFICIAL_SHA256


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
