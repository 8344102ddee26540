"""The server's Ed25519 key (settings.SEEI_SIGNING_KEY, PEM): it signs ledger entries and receipts.

The key is loaded once per PEM value (a test may swap the setting). The signature scheme and
formats are those of ``seei.auctions.ledger``, which the stand-alone verifier reads.
"""

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from seei.auctions import ledger, trusted_key


@lru_cache(maxsize=4)
def _load(pem: str) -> Ed25519PrivateKey:
    return ledger.load_private_key(pem)


def private_key() -> Ed25519PrivateKey:
    return _load(settings.SEEI_SIGNING_KEY)


def public_key_pem() -> str:
    return ledger.public_key_pem(private_key())


def public_key_b64() -> str:
    return ledger.public_key_b64(private_key())


def fingerprint() -> str:
    """SHA-256 of the key's 32 raw bytes: what ``seei verify`` prints for the key it checked with."""
    return trusted_key.fingerprint(private_key().public_key())


def verify_command(filename: str) -> str:
    """The command that checks a downloaded ledger against this platform's key (fetched from the
    site's stable address), not against the key written inside the file."""
    return f"seei verify {filename} --site {settings.SITE_URL}"


def sign_entry(entry: Mapping[str, Any]) -> str:
    """Base64 signature over the entry's hash, stored beside the entry."""
    return ledger.sign_entry(private_key(), entry)


def sign_receipt(entry: Mapping[str, Any], lot_ref: str) -> dict[str, Any]:
    """The bidder's signed proof that its bid is entry ``seq`` of lot ``lot_ref``."""
    return ledger.sign_receipt(private_key(), entry, lot_ref)


def export(
    entries: Iterable[Mapping[str, Any]], signatures: Mapping[Any, str], lot: Mapping[str, Any]
) -> dict:
    """The published ledger document (format ``seei-ledger/1``), as ``seei verify`` reads it: the
    entries with the signatures stored when they were appended (never signed again here)."""
    return ledger.export_ledger(entries, signatures, private_key().public_key(), lot)
