"""Every message of the interface is translated in every catalogue, and every catalogue holds every
message of the code: an English sentence left in the Arabic or French interface fails here first.

English is the source language (the msgids are the English interface), so it has no catalogue."""

import pytest
from django.conf import settings

from tests.i18n.catalogues import LOCALE_DIR, catalogue_path, code_messages, missing, read, unfinished

TRANSLATED = ("ar", "fr")

SYNTHETIC = r"""
msgid ""
msgstr ""
"Language: fr\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

msgid "Done"
msgstr "Fait"

msgid "Left in English"
msgstr ""

#, fuzzy
msgid "Guessed by msgmerge"
msgstr "Deviné par msgmerge"

msgid "one lot"
msgid_plural "%(count)s lots"
msgstr[0] "un lot"
msgstr[1] ""

msgctxt "month"
msgid "May"
msgstr "Mai"
"""


def test_the_checker_finds_untranslated_fuzzy_and_missing_messages(tmp_path):
    (tmp_path / "django.po").write_text(SYNTHETIC, encoding="utf-8")
    catalog = read(tmp_path / "django.po")
    assert unfinished(catalog) == [
        "untranslated: 'Left in English'",
        "fuzzy: 'Guessed by msgmerge'",
        "untranslated: ('one lot', '%(count)s lots')",
    ]
    code = {(None, "Done"), (None, "Left in English"), (None, "New"), (None, ("one lot", "%(count)s lots"))}
    code |= {("month", "May"), (None, "May")}  # "May" without its context is another message
    assert missing(code, catalog) == [(None, "May"), (None, "New")]


def test_a_catalogue_for_each_language_but_english():
    found = sorted(path.parts[-3] for path in LOCALE_DIR.glob("*/LC_MESSAGES/django.po"))
    assert found == sorted(code for code, _ in settings.LANGUAGES if code != "en") == sorted(TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language):
    problems = unfinished(read(catalogue_path(language)))
    assert not problems, f"{catalogue_path(language)}:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def in_the_code(tmp_path_factory):
    return code_messages(tmp_path_factory.mktemp("makemessages"))


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_every_message_of_the_code(language, in_the_code):
    assert len(in_the_code) > 500  # the extraction did run over the templates and the Python code
    lacking = missing(in_the_code, read(catalogue_path(language)))
    assert not lacking, (
        f"{catalogue_path(language)} lacks messages of the code (cd seei && seei makemessages -l ar -l fr "
        "--no-obsolete, then translate them):\n" + "\n".join(repr(key) for key in lacking)
    )
