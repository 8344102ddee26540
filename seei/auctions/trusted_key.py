"""Which key ``seei verify`` trusts: the platform's, never the one written inside the file checked.

A ledger file names its signing key, but whoever forges the file chooses that key too. The platform's
key comes from outside the file: given on the command line, fetched from the platform's stable
address (``WELL_KNOWN_PATH`` on its site), or pinned in a trust file the user keeps. Pure standard
library and ``cryptography`` (no Django): the verifier runs anywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from seei.auctions import ledger

WELL_KNOWN_PATH = "/.well-known/seei/ledger-key.pem"
FETCH_TIMEOUT = 10  # seconds
MAX_KEY_BYTES = 16_384
MAX_JSON_BYTES = 1_000_000  # a proof of the transparency log


class UntrustedKey(Exception):
    """No trusted key could be had; the message says why and how to fix it."""


@dataclass(frozen=True)
class TrustedKey:
    key: Ed25519PublicKey
    source: str  # where it came from, for the report

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the 32 raw bytes of the key, in hex: what the platform publishes beside its key."""
    return hashlib.sha256(key.public_bytes_raw()).hexdigest()


def default_trust_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "seei" / "ledger-key.pem"


def site_url(site: str, path: str) -> str:
    """An address on the platform's site: its key (``WELL_KNOWN_PATH``), its API's transparency log."""
    return site.rstrip("/") + path


def _parse(body: bytes) -> Ed25519PublicKey:
    """A PEM or base64 key, or the JSON of the API (``{"public_key": PEM, ...}``)."""
    text = body.strip()
    if text.startswith(b"{"):
        try:
            text = json.loads(text)["public_key"].encode("ascii")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError("the JSON has no readable public_key") from None
    return ledger.load_public_key(text)


def read_key_file(path: str | Path) -> TrustedKey:
    try:
        return TrustedKey(_parse(Path(path).read_bytes()), f"file {path}")
    except OSError as error:
        raise UntrustedKey(f"cannot read the key file {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise UntrustedKey(f"the key file {path} holds no Ed25519 public key ({error})") from None


def fetch(url: str, limit: int = MAX_KEY_BYTES) -> bytes:
    """The body at an http(s) address (at most ``limit`` bytes), or ``UntrustedKey`` saying why not."""
    if not url.startswith(("https://", "http://")):
        raise UntrustedKey(f"the key address must start with https:// (got {url!r})")
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 (http(s) only)
            body = response.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise UntrustedKey(f"cannot fetch {url}: {error}") from None
    if len(body) > limit:
        raise UntrustedKey(f"{url} answered with more than expected")
    return body


def fetch_json(url: str, limit: int = MAX_JSON_BYTES) -> Any:
    """The JSON at an http(s) address, or ``UntrustedKey`` saying why not."""
    try:
        return json.loads(fetch(url, limit))
    except ValueError as error:
        raise UntrustedKey(f"{url} did not answer with JSON ({error})") from None


def fetch_key(url: str) -> TrustedKey:
    try:
        body = fetch(url)
    except UntrustedKey as error:
        raise UntrustedKey(f"cannot fetch the platform's key: {error}") from None
    try:
        return TrustedKey(_parse(body), url)
    except ValueError as error:
        raise UntrustedKey(f"{url} did not answer with an Ed25519 public key ({error})") from None


def pin(path: Path, trusted: TrustedKey) -> None:
    """Keep the key in the trust file, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ledger.public_key_pem(trusted.key), encoding="ascii")
    path.chmod(0o600)


NO_KEY = (
    "no trusted key: the key written inside a ledger file proves nothing (whoever forges the file "
    "signs it with a key of their own and writes that one in). Give the platform's key: "
    "--site https://PLATFORM (fetches {path}), --key-url URL, or --public-key FILE; add --pin to keep "
    "it in {trust} so later checks need none of these."
)


def resolve(
    *,
    public_key: str | None = None,
    key_url: str | None = None,
    site: str | None = None,
    trust_file: Path | None = None,
    pin_it: bool = False,
) -> TrustedKey:
    """The key to check against: the one given (file, address or site), else the pinned one.

    A key given while another is pinned must be the same: a site that changes its key is refused
    until the user pins the new one on purpose (``pin_it``)."""
    trust_file = trust_file or default_trust_file()
    if public_key:
        given = read_key_file(public_key)
    elif key_url:
        given = fetch_key(key_url)
    elif site:
        given = fetch_key(site_url(site, WELL_KNOWN_PATH))
    else:
        given = None
    pinned = read_key_file(trust_file) if trust_file.exists() else None
    if given is None:
        if pinned is None:
            raise UntrustedKey(NO_KEY.format(path=WELL_KNOWN_PATH, trust=trust_file))
        return pinned
    if pin_it:
        pin(trust_file, given)
    elif pinned is not None and pinned.fingerprint != given.fingerprint:
        raise UntrustedKey(
            f"the key from {given.source} (fingerprint {given.fingerprint}) is not the key pinned in "
            f"{trust_file} (fingerprint {pinned.fingerprint}). If the platform announced a new key, "
            "check its fingerprint with the platform, then pin it with --pin."
        )
    return given
