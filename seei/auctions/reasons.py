"""What each refusal code means, in Arabic, French and English.

Templates use ``str.format`` placeholders filled from ``Refused.detail`` (or
``AmountError.detail``/``TransitionError.detail``): ``{limit}`` is an amount, shown with the
lot's ``{currency}``; ``{opens_at}``/``{closes_at}`` are times; ``{digits}`` and ``{seconds}``
are integers. Amounts are formatted for the language by ``format_amount``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from seei.auctions.rules import Reason, format_decimal, utc

LANGUAGES = ("ar", "fr", "en")
DEFAULT_LANGUAGE = "fr"

MESSAGES: dict[str, dict[str, str]] = {
    Reason.NOT_ADMITTED: {
        "ar": "مقاولتكم غير مقبولة للمزايدة على هذه الحصة.",
        "fr": "Votre entreprise n'est pas admise à enchérir sur ce lot.",
        "en": "Your company is not admitted to bid on this lot.",
    },
    Reason.NOT_OPEN: {
        "ar": "لم تُفتح المزايدة بعد؛ ستُفتح في {opens_at}.",
        "fr": "L'enchère n'est pas encore ouverte ; elle ouvrira le {opens_at}.",
        "en": "The auction has not opened yet; it opens at {opens_at}.",
    },
    Reason.CLOSED: {
        "ar": "المزايدة مغلقة؛ لم يعد يُقبل أي عرض.",
        "fr": "L'enchère est close ; plus aucune offre n'est acceptée.",
        "en": "The auction is closed; no more bids are accepted.",
    },
    Reason.SUSPENDED: {
        "ar": "المزايدة معلقة بسبب عطل في المنصة. سيُستعاد الوقت المتبقي عند استئنافها.",
        "fr": "L'enchère est suspendue à la suite d'un incident de la plateforme. "
        "Le temps restant sera rétabli à la reprise.",
        "en": "The auction is suspended because of a platform incident. "
        "The remaining time will be restored when it resumes.",
    },
    Reason.TOO_SOON: {
        "ar": "لقد قدمتم عرضًا قبل لحظات. يُرجى الانتظار {seconds} ثانية قبل تقديم عرضكم التالي.",
        "fr": "Vous venez d'enchérir. Veuillez patienter {seconds} s avant votre prochaine offre.",
        "en": "You bid a moment ago. Please wait {seconds} s before your next bid.",
    },
    Reason.EMPTY_AMOUNT: {
        "ar": "يُرجى إدخال مبلغ.",
        "fr": "Veuillez saisir un montant.",
        "en": "Please enter an amount.",
    },
    Reason.MALFORMED_AMOUNT: {
        "ar": "المبلغ ليس رقمًا صالحًا. استعملوا الأرقام وفاصلة عشرية، مثلًا 1234,50.",
        "fr": "Le montant n'est pas un nombre valide. "
        "Utilisez des chiffres et une virgule, par exemple 1234,50.",
        "en": "The amount is not a valid number. Use digits and a decimal point, for example 1234.50.",
    },
    Reason.AMBIGUOUS_AMOUNT: {
        "ar": "المبلغ ملتبس: قد تكون الفاصلة فاصلة عشرية أو فاصلة آلاف. اكتبوه دون فاصل الآلاف، مثلًا 1234.",
        "fr": "Montant ambigu : le séparateur peut être décimal ou séparer les milliers. "
        "Écrivez-le sans séparateur de milliers, par exemple 1234.",
        "en": "Ambiguous amount: the separator may be a decimal point or a thousands separator. "
        "Write it without a thousands separator, for example 1234.",
    },
    Reason.NOT_POSITIVE: {
        "ar": "يجب أن يكون المبلغ أكبر من الصفر.",
        "fr": "Le montant doit être supérieur à zéro.",
        "en": "The amount must be greater than zero.",
    },
    Reason.TOO_LARGE: {
        "ar": "المبلغ كبير جدًا. تحققوا من عدد الأرقام.",
        "fr": "Le montant est trop élevé. Vérifiez le nombre de chiffres.",
        "en": "The amount is too large. Check the number of digits.",
    },
    Reason.TOO_MANY_DECIMALS: {
        "ar": "الحد الأقصى للأرقام بعد الفاصلة العشرية هو {digits}.",
        "fr": "Le montant admet au plus {digits} chiffre(s) après la virgule.",
        "en": "The amount can have at most {digits} digit(s) after the decimal point.",
    },
    Reason.NOT_BELOW_START: {
        "ar": "يجب أن يكون عرضكم أقل من السعر الابتدائي البالغ {limit}.",
        "fr": "Votre offre doit être inférieure au prix de départ de {limit}.",
        "en": "Your bid must be below the starting price of {limit}.",
    },
    Reason.NOT_BELOW_OWN: {
        "ar": "يجب أن يكون عرضكم أقل من عرضكم السابق البالغ {limit}.",
        "fr": "Votre offre doit être inférieure à votre offre précédente de {limit}.",
        "en": "Your bid must be lower than your previous bid of {limit}.",
    },
    Reason.EQUAL_TO_BEST: {
        "ar": "لا يُقبل عرض مساوٍ لأفضل سعر ({limit})؛ اقترحوا سعرًا أقل.",
        "fr": "Une offre égale au meilleur prix ({limit}) n'est pas acceptée ; proposez un prix inférieur.",
        "en": "A bid equal to the best price ({limit}) is not accepted; offer a lower price.",
    },
    Reason.DECREMENT_TOO_SMALL: {
        "ar": "التخفيض غير كافٍ: يجب ألا يتجاوز عرضكم {limit}.",
        "fr": "La baisse est insuffisante : votre offre doit être au plus de {limit}.",
        "en": "The decrease is too small: your bid must be at most {limit}.",
    },
    Reason.DECREMENT_TOO_LARGE: {
        "ar": "التخفيض كبير جدًا: يجب ألا يقل عرضكم عن {limit}.",
        "fr": "La baisse est trop forte : votre offre doit être d'au moins {limit}.",
        "en": "The decrease is too large: your bid must be at least {limit}.",
    },
    Reason.NOT_SUSPENDED: {
        "ar": "المزايدة ليست معلقة.",
        "fr": "L'enchère n'est pas suspendue.",
        "en": "The auction is not suspended.",
    },
    Reason.NOT_DUE: {
        "ar": "لا يمكن إغلاق المزايدة قبل {closes_at}.",
        "fr": "L'enchère ne peut pas être close avant le {closes_at}.",
        "en": "The auction cannot be closed before {closes_at}.",
    },
}

# The same refusals told without their amount, when the room must not show it (ranks only).
UNDISCLOSED: dict[str, dict[str, str]] = {
    Reason.EQUAL_TO_BEST: {
        "ar": "لا يُقبل عرض مساوٍ لأفضل سعر؛ اقترحوا سعرًا أقل.",
        "fr": "Une offre égale au meilleur prix n'est pas acceptée ; proposez un prix inférieur.",
        "en": "A bid equal to the best price is not accepted; offer a lower price.",
    },
}

# Thousands and decimal marks per language. Arabic follows the Moroccan use of Latin digits
# with the French marks; the no-break space keeps "1 200,00 MAD" on one line.
_MARKS = {"ar": ("\u00a0", ","), "fr": ("\u00a0", ","), "en": (",", ".")}


def _language(lang: str | None) -> str:
    base = (lang or DEFAULT_LANGUAGE).replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def format_amount(amount: Decimal, currency: str = "", lang: str | None = DEFAULT_LANGUAGE) -> str:
    """``1 200,00 MAD`` (ar, fr) or ``1,200.00 MAD`` (en), keeping the amount's decimals."""
    thousands, decimal_mark = _MARKS[_language(lang)]
    sign = "-" if amount < 0 else ""
    integer, _, fraction = format_decimal(abs(amount)).partition(".")
    groups = []
    while len(integer) > 3:
        integer, group = integer[:-3], integer[-3:]
        groups.insert(0, group)
    text = sign + thousands.join([integer, *groups]) + (decimal_mark + fraction if fraction else "")
    return f"{text}\u00a0{currency}" if currency else text


def format_time(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%d %H:%M:%S UTC")


def message(code: str, lang: str | None = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message for a code in a language (French when the language is not available)."""
    texts = MESSAGES[str(code)]
    if "limit" not in params and str(code) in UNDISCLOSED:
        texts = UNDISCLOSED[str(code)]
    template = texts.get(_language(lang)) or texts[DEFAULT_LANGUAGE]
    currency = str(params.get("currency", ""))
    values = {name: _format_value(value, currency, lang) for name, value in params.items()}
    return template.format(**values)


def _format_value(value: Any, currency: str, lang: str | None) -> str:
    if isinstance(value, Decimal):
        return format_amount(value, currency, lang)
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)
