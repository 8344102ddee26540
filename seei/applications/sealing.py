"""The seal: application documents encrypted at rest.

Contents and original file names are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under
``settings.SEEI_DOCUMENT_KEY``; the encrypted files live under ``MEDIA_ROOT/sealed/`` with
random names. A copy of the database or of the file store, without the key, reveals no
document: the rows keep only the SHA-256 and size printed on the company's receipt.

Encryption happens before the transaction that stores a submission (``prepare``) so that the
transaction only writes bytes (``store``): the deadline is checked inside it, at the last moment.
"""

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SEALED_DIR = "sealed"


@lru_cache(maxsize=4)
def _fernet_for(key: str) -> Fernet:
    return Fernet(key)


def _fernet() -> Fernet:
    return _fernet_for(settings.SEEI_DOCUMENT_KEY)


def seal(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def unseal(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))


def path_of(storage_name: str) -> str:
    # Two-character shards keep directories small; the name is random, so says nothing.
    return f"{SEALED_DIR}/{storage_name[:2]}/{storage_name}"


@dataclass(frozen=True)
class Prepared:
    """An upload checked, hashed and encrypted, ready to be stored."""

    kind: str
    content_type: str
    size: int
    sha256: str
    sealed_content: bytes
    sealed_name: bytes


def prepare(kind: str, upload, content_type: str) -> Prepared:
    """Hash and encrypt an upload already checked by ``seei.core.uploads.validate_document``."""
    upload.seek(0)
    content = b"".join(upload.chunks())
    upload.seek(0)
    return Prepared(
        kind=kind,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        sealed_content=seal(content),
        sealed_name=seal((upload.name or "document").encode("utf-8")),
    )


def store(prepared: Prepared) -> str:
    """Write the encrypted bytes under a fresh random name; returns that name."""
    storage_name = secrets.token_hex(16)
    saved = default_storage.save(path_of(storage_name), ContentFile(prepared.sealed_content))
    if saved != path_of(storage_name):  # never overwrite, never rename: the row must find its file
        default_storage.delete(saved)
        raise RuntimeError("the sealed store refused a fresh name")
    return storage_name


def read(document) -> bytes:
    """The plain content of an ApplicationDocument. Callers check access and audit first."""
    with default_storage.open(path_of(document.storage_name), "rb") as handle:
        return unseal(handle.read())


def original_name(document) -> str:
    return unseal(document.name_sealed).decode("utf-8")
