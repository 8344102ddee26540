"""An erratum's recorded changes, told in the reader's language (they are stored raw)."""

from datetime import datetime

from django.db import models
from django.utils.formats import date_format, number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from seei.core.translated import Translated, TranslatedField
from seei.tenders.models import Item, Lot, Tender


def _field(path: str):
    """``object`` → Tender.object; ``lot2.starting_price`` → Lot; ``lot2.item1.quantity`` → Item."""
    parts = path.split(".")
    model = {1: Tender, 2: Lot, 3: Item}[len(parts)]
    return parts, model._meta.get_field(parts[-1])


def _value(field, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(field, TranslatedField) or isinstance(value, dict):
        return str(Translated(value))
    if isinstance(field, models.DateTimeField):
        return date_format(localtime(datetime.fromisoformat(value)), "DATETIME_FORMAT")
    if isinstance(field, models.DecimalField):
        return number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def describe(change: dict) -> dict:
    path = change["field"]
    if path == "documents.added":
        return {"label": _("Document added"), "before": "", "after": change["after"]}
    if path == "documents.withdrawn":
        return {"label": _("Document withdrawn"), "before": change["before"], "after": ""}
    parts, field = _field(path)
    label = str(field.verbose_name)
    if len(parts) >= 2:
        label = _("Lot %(number)s — %(field)s") % {"number": parts[0].removeprefix("lot"), "field": label}
    if len(parts) == 3:
        label = _("Item %(number)s — %(field)s") % {"number": parts[1].removeprefix("item"), "field": label}
    if change.get("moved"):
        label = _("Application deadline, moved to keep the legal minimum")
    return {
        "label": label,
        "before": _value(field, change["before"]),
        "after": _value(field, change["after"]),
    }
