"""The translation catalogues (read with babel) and the messages the code asks for now.

Small functions, so that the tests can also run them on synthetic catalogues."""

import contextlib
import shutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import seei

SEEI_DIR = Path(seei.__file__).parent
LOCALE_DIR = SEEI_DIR / "locale"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def read(path: Path) -> Catalog:
    with open(path, "rb") as po:
        return read_po(po)


def key(message) -> tuple:
    """What identifies a message to gettext: its context, its msgid and, for plurals, its msgid_plural."""
    return (message.context, message.id)


def messages(catalog: Catalog) -> dict[tuple, object]:
    return {key(message): message for message in catalog if message.id}  # the id "" is the header


def unfinished(catalog: Catalog) -> list[str]:
    """The messages that gettext would show in English: untranslated (any plural form empty) or fuzzy."""
    found = []
    for message in messages(catalog).values():
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
        elif not all(forms):
            found.append(f"untranslated: {message.id!r}")
    return found


def missing(code: set[tuple], catalog: Catalog) -> list[tuple]:
    """The messages of the code that the catalogue lacks: gettext shows them in English."""
    return sorted(code - set(messages(catalog)), key=repr)


def code_messages(workdir: Path) -> set[tuple]:
    """Every message that ``makemessages`` extracts from the code as it is now.

    It runs on a copy of the package: makemessages writes temporary files next to the templates it
    reads and its catalogues into the locale directory, neither of which may touch the real tree."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    copy = workdir / "seei"
    shutil.copytree(SEEI_DIR, copy, ignore=shutil.ignore_patterns("locale", "static", "__pycache__"))
    (copy / "locale").mkdir()
    with override_settings(LOCALE_PATHS=[copy / "locale"]), contextlib.chdir(copy):
        call_command("makemessages", locale=["ar"], verbosity=0)
    return set(messages(read(copy / "locale/ar/LC_MESSAGES/django.po")))
