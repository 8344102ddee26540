"""The shapes the API reads and writes.

Translated content is sent twice: ``title`` in the request's language (with the same fallback to
the original language as the portal) and ``title_i18n`` with every translation. Amounts are
decimals, written as strings in JSON so no client turns them into floats.
"""

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db.models import Choices
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from seei.core import amounts, clock
from seei.core.translated import LANGS
from seei.tenders import errata
from seei.tenders.models import Currency, Lot, Tender


def choice_of(choices: type[Choices]):
    """A model's choices as a field type, with their values written where the field is: Django names
    many of them ``Status``, and the OpenAPI document keeps a single schema per name."""
    return Annotated[choices, WithJsonSchema({"type": "string", "enum": list(choices.values)})]


# Errors ------------------------------------------------------------------------------


class Error(Schema):
    """Every error response of the API (seei.api.errors writes them all, and documents them)."""

    detail: str = Field(description="What went wrong, in the request's language.")
    errors: dict[str, list[str]] = Field(
        default_factory=dict,
        description="For invalid data (400, 422): messages per field; `__all__` for the whole object.",
    )
    reason: str = Field(
        "",
        description="A code for programs, when there is one: a bid's refusal (seei.auctions.rules.Reason), "
        "or `busy` / `unavailable` with a 503 (send the same request again).",
    )


# Input ------------------------------------------------------------------------------

# Text PostgreSQL cannot store: NUL, and lone surrogates (JSON can carry them: "\ud800").
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
TEXT_MAX_LENGTH = 20000  # no text the API takes is longer (a question: 4,000)


def _unstorable(value) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, list | tuple):
        return any(_unstorable(item) for item in value)
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    return False


class Input(Schema):
    """What a client sends (bodies, query filters): text that the database cannot store is refused on
    its field (422) before it reaches a query."""

    @field_validator("*")
    @classmethod
    def _storable(cls, value):
        if _unstorable(value):
            raise PydanticCustomError(
                "unstorable_text", _("This text contains a character that cannot be recorded.")
            )
        if isinstance(value, str):
            try:
                MaxLengthValidator(TEXT_MAX_LENGTH)(value)  # the services bound each text more closely
            except ValidationError as error:
                raise PydanticCustomError("text_too_long", error.messages[0]) from None
        return value


def _amount(value) -> Decimal:
    try:
        return amounts.parse(value)
    except ValidationError as error:
        raise PydanticCustomError("amount", error.messages[0]) from None


# An amount of money read as the forms and the room read it (seei.core.amounts), refused on its field
# (422) in the request's language: never an exponent ("1e30"), NaN, or more digits than are stored.
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string"}, {"type": "number"}],
            "description": "Digits with at most two decimals, e.g. `150000.00`; no exponent.",
        }
    ),
]


def _bounded(name: str):
    """A lot's timing, documented with the bounds its model field checks (a translated 400): the model's
    validators, themselves from the rules' limits (rules.MAX_*), are the one place they are written."""
    validators = Lot._meta.get_field(name).validators
    minimum = max(v.limit_value for v in validators if isinstance(v, MinValueValidator))
    maximum = min(v.limit_value for v in validators if isinstance(v, MaxValueValidator))
    return Field(json_schema_extra={"minimum": minimum, "maximum": maximum})


Duration = Annotated[int, _bounded("duration_minutes")]
ExtensionSeconds = Annotated[int, _bounded("extension_seconds")]
ExtensionWindow = Annotated[int, _bounded("extension_window_seconds")]
ExtensionCap = Annotated[int, _bounded("extension_cap")]
BidInterval = Annotated[int, _bounded("min_bid_interval_seconds")]


# Translated values -----------------------------------------------------------------


class I18nText(Input):
    """One text in each language of the platform; an empty string where there is no translation."""

    fr: str = ""
    ar: str = ""
    en: str = ""


def all_texts(value) -> dict:
    return {code: (value or {}).get(code) or "" for code in LANGS}


# ``str()`` of a Translated value is its text in the active language (set from Accept-Language).
LocalText = Annotated[str, BeforeValidator(lambda value: "" if value is None else str(value))]
AllTexts = Annotated[I18nText, BeforeValidator(all_texts)]


def translations_of(field: str):
    """The ``<field>_i18n`` companion of a translated field: every translation of the same attribute."""
    return Field(validation_alias=field)


# Reference data ----------------------------------------------------------------------


class CategoryRef(Schema):
    code: str
    name: LocalText
    name_i18n: AllTexts = translations_of("name")


class CategoryOut(CategoryRef):
    parent: str | None = Field(None, description="Code of the parent category.")

    @staticmethod
    def resolve_parent(obj) -> str | None:
        return obj.parent.code if obj.parent_id else None


class RegionOut(Schema):
    code: str
    name: LocalText
    name_i18n: AllTexts = translations_of("name")


class OrganisationRef(Schema):
    id: int
    name: str


# Notices (read) ----------------------------------------------------------------------


class LotSummary(Schema):
    id: int
    number: int
    title: LocalText
    title_i18n: AllTexts = translations_of("title")
    status: choice_of(Lot.Status)
    estimated_amount: Decimal


class ItemOut(Schema):
    id: int
    position: int
    designation: LocalText
    designation_i18n: AllTexts = translations_of("designation")
    specification: LocalText
    specification_i18n: AllTexts = translations_of("specification")
    quantity: Decimal
    unit: str


class LotDetail(LotSummary):
    items: list[ItemOut]
    starting_price: Decimal
    min_decrement_kind: choice_of(Lot.DecrementKind)
    min_decrement: Decimal
    max_decrement_kind: choice_of(Lot.DecrementKind)
    max_decrement: Decimal | None
    decrement_base: choice_of(Lot.DecrementBase)
    opens_at: datetime
    duration_minutes: int
    extension_window_seconds: int
    extension_seconds: int
    extension_cap: int | None
    only_lead_change_extends: bool
    visibility: choice_of(Lot.Visibility)
    refuse_equal_best: bool
    min_bid_interval_seconds: int
    public_watch: bool


class NoticeSummary(Schema):
    id: int
    reference: str
    status: choice_of(Tender.Status)
    version: int
    original_language: str
    title: LocalText
    title_i18n: AllTexts = translations_of("title")
    object: LocalText
    object_i18n: AllTexts = translations_of("object")
    buyer: OrganisationRef
    category: CategoryRef
    region: RegionOut
    delivery_place: str
    currency: Currency
    international: bool
    application_deadline: datetime
    published_at: datetime | None
    applications_open: bool = Field(description="Published and its application deadline is still ahead.")
    lots: list[LotSummary]

    @staticmethod
    def resolve_applications_open(obj) -> bool:
        return obj.status == Tender.Status.PUBLISHED and obj.application_deadline > clock.now()


class NoticeDocumentOut(Schema):
    """A document of the consultation file, public with the notice."""

    id: int
    title: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    withdrawn: bool = Field(description="Withdrawn by an erratum; kept for the history.")
    url: str = Field(description="Where the portal serves the file.")

    @staticmethod
    def resolve_withdrawn(obj) -> bool:
        return obj.withdrawn_by_id is not None

    @staticmethod
    def resolve_url(obj, context) -> str:
        return context["request"].build_absolute_uri(reverse("portal:document", args=[obj.tender_id, obj.pk]))


class ChangeOut(Schema):
    """One change: the raw values (translated fields as {fr, ar, en}) and the text a reader sees."""

    field: str
    before: Any = None
    after: Any = None
    moved: bool = False
    label: str
    before_text: str
    after_text: str


class ErratumOut(Schema):
    number: int
    reason: str
    substantive: bool
    changes: list[ChangeOut]
    deadline_before: datetime
    deadline_after: datetime
    published_at: datetime

    @staticmethod
    def resolve_changes(obj) -> list[dict]:
        rows = []
        for change in obj.changes:
            shown = errata.describe(change)
            rows.append(
                {
                    **change,
                    "label": shown["label"],
                    "before_text": shown["before"],
                    "after_text": shown["after"],
                }
            )
        return rows


class PublicClarification(Schema):
    """A published answer. It never carries who asked: neither the company nor the person."""

    id: int
    question: str = Field(validation_alias="published_question")
    answer: str
    answered_at: datetime


class NoticeDetail(NoticeSummary):
    delivery_terms: LocalText
    delivery_terms_i18n: AllTexts = translations_of("delivery_terms")
    estimated_total: Decimal
    lots: list[LotDetail]
    documents: list[NoticeDocumentOut]
    errata: list[ErratumOut]
    clarifications: list[PublicClarification]

    @staticmethod
    def resolve_estimated_total(obj) -> Decimal:
        return obj.estimated_total()

    @staticmethod
    def resolve_clarifications(obj):
        return obj.clarifications.filter(answered_at__isnull=False).order_by("answered_at", "id")


# Filters -------------------------------------------------------------------------------

# "open"/"closed" speak of the application deadline; the other values are lot statuses.
NOTICE_STATUS_FILTERS = ("open", "closed", *(s for s in Lot.Status.values if s not in ("open", "closed")))


class NoticeFilters(Input):
    q: str = Field("", description="Full-text search in every language of the notice, its lots and items.")
    category: str | None = Field(None, description="Category code (its sub-categories included).")
    region: str | None = Field(None, description="Region code.")
    buyer: int | None = Field(None, description="Id of the buyer organisation.")
    status: Literal[NOTICE_STATUS_FILTERS] | None = Field(
        None,
        description="`open`: the application deadline is ahead; `closed`: it has passed; "
        "any other value: notices with a lot in that status.",
    )
    closing_before: date | None = Field(None, description="Application deadline on or before this day.")
    closing_after: date | None = Field(None, description="Application deadline on or after this day.")
    currency: Currency | None = None


class BuyerNoticeFilters(Input):
    status: choice_of(Tender.Status) | None = None


# Notices (write) -------------------------------------------------------------------------

# Choice fields are typed with the models' own choices so the OpenAPI document lists them.
Language = Literal[LANGS]


class ItemIn(Input):
    designation: I18nText
    specification: I18nText
    quantity: Decimal
    unit: str


class LotIn(Input):
    """A lot with its items and auction parameters (ARCHITECTURE.md section 2)."""

    title: I18nText
    estimated_amount: Amount
    starting_price: Amount
    min_decrement_kind: choice_of(Lot.DecrementKind) = Lot.DecrementKind.AMOUNT
    min_decrement: Amount
    max_decrement_kind: choice_of(Lot.DecrementKind) = Lot.DecrementKind.PERCENT
    max_decrement: Amount | None = None
    decrement_base: choice_of(Lot.DecrementBase) = Lot.DecrementBase.OWN
    opens_at: AwareDatetime
    duration_minutes: Duration = 30
    extension_window_seconds: ExtensionWindow = 180
    extension_seconds: ExtensionSeconds = 180
    extension_cap: ExtensionCap | None = None
    only_lead_change_extends: bool = False
    visibility: choice_of(Lot.Visibility) = Lot.Visibility.BEST
    refuse_equal_best: bool = True
    min_bid_interval_seconds: BidInterval = 5
    public_watch: bool = False
    items: list[ItemIn]


class NoticeIn(Input):
    reference: str
    original_language: Language = "fr"
    title: I18nText
    object: I18nText
    category: str = Field(description="Category code.")
    region: str = Field(description="Region code.")
    delivery_place: str
    delivery_terms: I18nText | None = None
    currency: Currency = Currency.MAD
    international: bool = False
    application_deadline: AwareDatetime


class NoticeChanges(Input):
    """Changed fields of a published notice (an erratum); the reference and language stay."""

    title: I18nText | None = None
    object: I18nText | None = None
    category: str | None = None
    region: str | None = None
    delivery_place: str | None = None
    delivery_terms: I18nText | None = None
    currency: Currency | None = None
    international: bool | None = None
    application_deadline: AwareDatetime | None = None


class NoticePatch(NoticeChanges):
    reference: str | None = None
    original_language: Language | None = None


class LotChanges(Input):
    title: I18nText | None = None
    estimated_amount: Amount | None = None
    starting_price: Amount | None = None
    min_decrement_kind: choice_of(Lot.DecrementKind) | None = None
    min_decrement: Amount | None = None
    max_decrement_kind: choice_of(Lot.DecrementKind) | None = None
    max_decrement: Amount | None = None
    decrement_base: choice_of(Lot.DecrementBase) | None = None
    opens_at: AwareDatetime | None = None
    duration_minutes: Duration | None = None
    extension_window_seconds: ExtensionWindow | None = None
    extension_seconds: ExtensionSeconds | None = None
    extension_cap: ExtensionCap | None = None
    only_lead_change_extends: bool | None = None
    visibility: choice_of(Lot.Visibility) | None = None
    refuse_equal_best: bool | None = None
    min_bid_interval_seconds: BidInterval | None = None
    public_watch: bool | None = None


class ItemChanges(Input):
    designation: I18nText | None = None
    specification: I18nText | None = None
    quantity: Decimal | None = None
    unit: str | None = None


class ErratumIn(Input):
    reason: str
    notice: NoticeChanges | None = None
    lots: dict[int, LotChanges] = Field(default_factory=dict, description="Changes per lot id.")
    items: dict[int, ItemChanges] = Field(default_factory=dict, description="Changes per item id.")


# Clarifications ----------------------------------------------------------------------------


class QuestionIn(Input):
    question: str


class AnswerIn(Input):
    answer: str
    published_question: str = Field(
        "",
        description="The question as it will be published, reworded to remove anything identifying; "
        "the question as asked when empty.",
    )


class AskedClarification(Schema):
    """What the asking company gets back: its own question."""

    id: int
    question: str
    asked_at: datetime


class BuyerClarification(Schema):
    """A question as the buyer sees it: the text, never the asker's identity."""

    id: int
    question: str
    published_question: str
    answer: str
    asked_at: datetime
    answered_at: datetime | None
