"""The secret, document and signing keys: 0600 files outside the media tree in the demo; from the
environment only in production."""

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from seei.core import keys
from tests.security import settings_probe

PRODUCTION = {"ALLOWED_HOSTS": "seei.example", "SITE_URL": "https://seei.example"}
KEY_NAMES = ["SECRET_KEY", "SEEI_DOCUMENT_KEY", "SEEI_SIGNING_KEY", "KEYS_DIR", "MEDIA_ROOT", "PRODUCTION"]


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_demo_keeps_its_keys_readable_by_its_owner_only_outside_the_media_tree(tmp_path):
    values, errors = settings_probe.load(tmp_path, KEY_NAMES)
    assert values is not None, errors
    keys_dir = tmp_path / "var" / "keys"
    assert values["KEYS_DIR"] == str(keys_dir) and values["PRODUCTION"] is False
    assert keys_dir not in (tmp_path / "var" / "media").parents
    assert mode(keys_dir) == 0o700
    for name in ("secret_key", "document_key", "signing_key.pem"):
        assert mode(keys_dir / name) == 0o600, name
    assert values["SECRET_KEY"] == (keys_dir / "secret_key").read_text().strip()
    assert values["SEEI_SIGNING_KEY"].startswith("-----BEGIN PRIVATE KEY-----")
    again, _errors = settings_probe.load(tmp_path, KEY_NAMES)
    assert again == values  # kept, not made again


def test_an_older_demo_keeps_its_keys_moved_out_of_the_data_directory_and_closed(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "document_key").write_text("old-document-key\n")
    (var / "document_key").chmod(0o644)
    values, errors = settings_probe.load(tmp_path, KEY_NAMES)
    assert values["SEEI_DOCUMENT_KEY"] == "old-document-key", errors
    assert not (var / "document_key").exists()
    assert mode(var / "keys" / "document_key") == 0o600


def test_production_refuses_to_start_without_its_keys_in_the_environment(tmp_path):
    values, errors = settings_probe.load(tmp_path, KEY_NAMES, **PRODUCTION)
    assert values is None
    assert "ImproperlyConfigured" in errors
    assert "SECRET_KEY, SEEI_DOCUMENT_KEY, SEEI_SIGNING_KEY must be set in the environment" in errors
    assert not (tmp_path / "var" / "keys").exists()  # nothing generated


def test_production_runs_with_its_keys_from_the_environment_and_writes_none(tmp_path):
    given = {"SECRET_KEY": "s" * 50, "SEEI_DOCUMENT_KEY": "d" * 44, "SEEI_SIGNING_KEY": "PEM"}
    values, errors = settings_probe.load(tmp_path, KEY_NAMES, **PRODUCTION, **given)
    assert values is not None, errors
    assert values["PRODUCTION"] is True
    assert [values[name] for name in given] == list(given.values())
    assert not any((tmp_path / "var" / "keys").glob("*"))


def test_debug_or_a_site_on_the_loopback_only_is_not_production():
    assert keys.production(False, ["seei.example"], "https://seei.example")
    assert keys.production(False, ["127.0.0.1"], "https://seei.example")  # its public address
    assert keys.production(False, ["*"], "http://127.0.0.1:8000")
    assert not keys.production(True, ["seei.example"], "https://seei.example")
    assert not keys.production(False, ["127.0.0.1", "localhost"], "http://localhost:8000")


def test_the_keys_cannot_live_in_the_media_tree(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="out of the media"):
        keys.check_apart(tmp_path / "media" / "keys", tmp_path / "media")
    keys.check_apart(tmp_path / "keys", tmp_path / "media")
