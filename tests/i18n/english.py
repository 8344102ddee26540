"""What counts as a sentence of the interface left untranslated on a page in Arabic.

A text is untranslated when it is a message of the code shown as its English msgid or as its French
translation (Django falls back to the default language's catalogue when the page's lacks a message),
possibly with its placeholders filled in; or when it holds a run of Latin words with an English
function word (a sentence never marked for translation). Data legitimately shows Latin script on
Arabic pages (names of people and organisations, emails, references, notices written in French), so
the function words below are none that French uses too ("a", "an", "as", "for", "on", "or"...)."""

import re

from django.conf import settings

from tests.i18n.catalogues import catalogue_path, messages, read

FUNCTION_WORDS = frozenset(
    """the of and to your you with is this by all from has have will which must not at be can was were
    there their when what who how more than into any each only other been no yet it its if we our they
    them these those should would could does did within without until after before about here where why
    please""".split()
)
ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]+")
LATIN_WORD = re.compile(r"\b[A-Za-z]+(?:['’][A-Za-z]+)?\b")  # whole words: not the "be" of a hash
EMAIL_OR_URL = re.compile(r"\S+@\S+|https?://\S+")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
EDGES = " .:;,!?*·—–-()«»“”\"'"


def normal(text: str) -> str:
    """Whitespace collapsed and the punctuation around removed: a label shows "Email:" for "Email"."""
    return " ".join(text.split()).strip(EDGES)


def _forms(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


class Detector:
    def __init__(self, code_messages: set[tuple], language: str = "ar"):
        """``code_messages``: the keys (context, msgid) of every message of the code."""
        own = messages(read(catalogue_path(language)))
        fallback = messages(read(catalogue_path(settings.LANGUAGE_CODE)))
        self.texts, self.patterns = set(), []
        for key in code_messages:
            translations = _forms(own[key].string) if key in own else ()
            # A French word alone may be data too (an item's unit "unité"): French needs a sentence.
            french = (
                [text for text in _forms(fallback[key].string) if len(text.split()) > 1]
                if key in fallback
                else []
            )
            for text in [*_forms(key[1]), *french]:
                if text and text not in translations:  # "SEEI" is SEEI in every language
                    self._add(normal(text))

    def _add(self, text: str) -> None:
        literal = PLACEHOLDER.split(text)
        if len(literal) == 1:
            self.texts.add(text)
        elif len(LATIN_WORD.findall(" ".join(literal))) >= 2:  # else "Lot %(number)s" is any lot's title
            self.patterns.append(
                re.compile(".+?".join(re.escape(" ".join(part.split())) for part in literal))
            )

    def untranslated(self, text: str) -> bool:
        text = normal(text)
        if not text:
            return False
        if text in self.texts or any(pattern.fullmatch(text) for pattern in self.patterns):
            return True
        for run in ARABIC.split(EMAIL_OR_URL.sub(" ", text)):
            words = [word.lower() for word in LATIN_WORD.findall(run)]
            if len(words) >= 2 and FUNCTION_WORDS.intersection(words):
                return True
        return False


# Run in the page: every text node and user-facing attribute, with where it comes from, except what
# an element marks as written in another language than the page's (a notice shown in its original
# language), what is no text for a person (scripts, styles, the values typed in a form), computer
# code or output (hashes, JSON, the verifier's report) and abbreviations ("ICE": their title, which
# spells them out, is checked). The <title> cannot mark a part of it as another language: the texts
# that the body marks so are taken out of it.
COLLECT_TEXTS = """() => {
  const language = (element) => element.getAttribute("lang").split("-")[0];  // SVG has no .lang
  const pageLang = language(document.documentElement);
  const sameLang = (element) => {
    const marked = element.closest("[lang]");
    return !marked || language(marked) === pageLang;
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (element.closest("script, style, template, noscript, textarea, code, pre, samp, kbd, abbr[title]")) continue;
    if (sameLang(element) && node.data.trim()) found.push(["text", node.data]);
  }
  const buttons = "input[type=submit], input[type=button], input[type=reset]";
  for (const element of document.body.querySelectorAll(`[title], [placeholder], [aria-label], [alt], ${buttons}`)) {
    if (!sameLang(element)) continue;
    for (const name of ["title", "placeholder", "aria-label", "alt"]) {
      if (element.getAttribute(name)) found.push(["@" + name, element.getAttribute(name)]);
    }
    if (element.matches(buttons) && element.value) found.push(["@value", element.value]);
  }
  let title = document.title;
  for (const element of document.body.querySelectorAll("[lang]")) {
    const text = element.textContent.trim();
    if (!sameLang(element) && text) title = title.split(text).join(" ");
  }
  found.push(["<title>", title]);
  return found;
}"""
