"""Tender content translated per field.

A translated value is stored as JSON: ``{"orig": "fr", "fr": "...", "ar": "...", "en": ""}``.
``str()`` gives the visitor's language, falling back to the original language, so
templates simply write ``{{ tender.title }}``.
"""

from django.db import models
from django.utils.translation import get_language

LANGS = ("ar", "fr", "en")


class Translated(dict):
    @property
    def original(self) -> str:
        return self.get("orig") or next((code for code in LANGS if self.get(code)), "fr")

    @property
    def lang(self) -> str:
        """The language of the text that ``str()`` shows (for the HTML lang attribute)."""
        wanted = (get_language() or "fr")[:2]
        return wanted if self.get(wanted) else self.original

    def __str__(self) -> str:
        return self.get(self.lang) or ""

    def texts(self) -> list[str]:
        return [self[code] for code in LANGS if self.get(code)]

    def __html__(self):
        from django.utils.html import conditional_escape

        return conditional_escape(str(self))


def make(original: str, **texts: str) -> Translated:
    value = Translated({code: (texts.get(code) or "").strip() for code in LANGS})
    value["orig"] = original
    return value


class _Descriptor:
    """Wraps whatever dict is assigned, so ``str()`` and ``.texts()`` always work."""

    def __init__(self, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance.__dict__.get(self.name)

    def __set__(self, instance, value):
        instance.__dict__[self.name] = Translated(value) if isinstance(value, dict) else value


class TranslatedField(models.JSONField):
    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.attname, _Descriptor(self.attname))

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return Translated(value) if isinstance(value, dict) else value

    def to_python(self, value):
        value = super().to_python(value)
        return Translated(value) if isinstance(value, dict) else value
