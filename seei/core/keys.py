"""The platform's three secrets: Django's ``SECRET_KEY``, the documents' Fernet key and the ledger's
Ed25519 signing key. Read by the settings module (pure: nothing of Django but its exception).

Production takes each one from the environment and refuses to start without it: a key made up on the
spot would sign and seal with something nobody backs up. Production means DEBUG off and a site
published beyond this machine (``ALLOWED_HOSTS`` or ``SITE_URL`` naming another host than the
loopback): the demo, the tests and the bench serve 127.0.0.1 only, with DEBUG off too.

Elsewhere a random key is kept in a file of the keys directory, created ``0600`` in a ``0700``
directory, and never under the media or static trees (whatever lies there may be served, synced or
copied with the documents it protects). A key left by an older version in the data directory itself
is moved there, so an existing demo keeps its sealed documents and signatures.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

ENVIRONMENT_KEYS = ("SECRET_KEY", "SEEI_DOCUMENT_KEY", "SEEI_SIGNING_KEY")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def local_only(allowed_hosts: Iterable[str], site_url: str) -> bool:
    """The site answers on this machine's loopback only (its hosts and its public address)."""
    hosts = {host.strip().lower() for host in allowed_hosts}
    return hosts <= LOOPBACK and (urlsplit(site_url).hostname or "") in LOOPBACK


def production(debug: bool, allowed_hosts: Iterable[str], site_url: str) -> bool:
    return not debug and not local_only(allowed_hosts, site_url)


def require_environment(environ: dict[str, str], *, production: bool) -> None:
    """In production every key comes from the environment; say at once which ones are missing."""
    missing = [name for name in ENVIRONMENT_KEYS if not environ.get(name)]
    if production and missing:
        raise ImproperlyConfigured(
            f"{', '.join(missing)} must be set in the environment: in production (DEBUG off, a site "
            "served beyond 127.0.0.1 by ALLOWED_HOSTS or SITE_URL) the secret, document and signing "
            "keys are never generated into files. Set them (README, Configuration), or DEBUG=1 on a "
            "development machine."
        )


def check_apart(keys_dir: Path, *trees: Path) -> None:
    """The keys directory must not lie inside a tree that is served or copied with the documents."""
    keys_dir = keys_dir.resolve()
    for tree in trees:
        tree = Path(tree).resolve()
        if keys_dir == tree or tree in keys_dir.parents:
            raise ImproperlyConfigured(
                f"SEEI_KEYS_DIR ({keys_dir}) is inside {tree}: keep the keys out of the media and static trees."
            )


def from_file(directory: Path, name: str, generate: Callable[[], str], legacy: Path | None = None) -> str:
    """The key kept in ``directory/name``, created (``generate()``) if there is none yet."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / name
    if not path.exists() and legacy is not None and legacy.is_file():
        os.replace(legacy, path)  # same file system (both under the data directory): atomic
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: two processes starting
        # together keep one key, and neither ever reads a half-written one.
        descriptor, temporary = tempfile.mkstemp(dir=directory)  # 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(generate())
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    os.chmod(path, 0o600)  # a key written by an older version was world-readable
    return path.read_text()
