"""One way to read an amount of money, for the forms, the API and the room alike.

The room's parser (``rules.parse_amount``) reads what a person types: digits, one decimal mark,
thousands groups, Arabic-Indic digits; never an exponent, NaN or Infinity, never more than the
platform's largest amount (``rules.MAX_AMOUNT``) or the currency's decimals. Every amount column is
``DecimalField(max_digits=18, decimal_places=2)``, which holds any amount the parser returns, so an
accepted amount is always stored as typed ("1E2" is refused, never echoed back as "1E+2").
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language

from seei.auctions import reasons, rules

PLACES = 2  # decimal_places of every amount column
DIGITS = 18  # max_digits of every amount column: MAX_AMOUNT with its decimals fits


def parse(value, places: int = PLACES) -> Decimal:
    """The amount ``value`` (text as typed, or an int or Decimal), or a ValidationError in the language
    of the request. A float is read from its shortest text (``1e+30`` is then refused as such)."""
    if isinstance(value, bool):
        value = None
    elif isinstance(value, Decimal) and value.is_finite():
        value = rules.format_decimal(value.normalize())  # 250000.00 -> "250000", 1E+2 -> "100"
    elif isinstance(value, int | float):
        value = repr(value)
    try:
        return rules.parse_amount(value, places)
    except rules.AmountError as error:
        raise ValidationError(
            reasons.message(error.code, get_language(), **error.detail), code=str(error.code)
        ) from None


class AmountFormField(forms.Field):
    """A form's amount: read by ``parse``; shown and sent back as the plain text of the Decimal."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def __init__(self, **kwargs):
        for name in ("max_digits", "decimal_places", "min_value", "max_value", "step_size", "max_length"):
            kwargs.pop(name, None)  # what a model's DecimalField offers: parse() bounds the amount
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        return parse(value)

    def prepare_value(self, value):
        return rules.format_decimal(value) if isinstance(value, Decimal) else value


class AmountField(models.DecimalField):
    """An amount column: ``DecimalField(18, 2)`` in the database and the migrations (``deconstruct``
    says DecimalField, so no migration), ``AmountFormField`` in every ModelForm."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", DIGITS)
        kwargs.setdefault("decimal_places", PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AmountFormField, **kwargs})
