import re
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from seei.auctions.rules import MAX_BID_INTERVAL, MAX_DURATION, MAX_EXTENSION, MAX_EXTENSION_CAP
from seei.core.amounts import AmountField
from seei.core.translated import TranslatedField
from seei.tenders.schedule import within_horizon


class Category(models.Model):
    """The supply nomenclature."""

    code = models.CharField(max_length=20, unique=True)
    name = TranslatedField(_("name"))
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return f"{self.code} {self.name}"


class Region(models.Model):
    code = models.CharField(max_length=10, unique=True)
    name = TranslatedField(_("name"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")

    def __str__(self):
        return str(self.name)


class Currency(models.TextChoices):
    MAD = "MAD", _("Moroccan dirham (MAD)")
    EUR = "EUR", _("Euro (EUR)")
    USD = "USD", _("US dollar (USD)")


def validate_exchange_rates(value) -> None:
    """{currency code: positive decimal written as a string}, so SQL can read each rate as a number."""
    if not isinstance(value, dict):
        raise ValidationError(
            _("The exchange rates must map a currency code to a rate."), code="invalid_rates"
        )
    for code, rate in value.items():
        if code not in Currency.values:
            raise ValidationError(
                _("“%(code)s” is not a currency of the platform.") % {"code": code}, code="invalid_rates"
            )
        if (
            not isinstance(rate, str)
            or not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,10})?", rate)
            or not Decimal(rate)
        ):
            raise ValidationError(
                _("The rate for %(code)s must be a positive number such as 0.1012.") % {"code": code},
                code="invalid_rates",
            )


class TenderQuerySet(models.QuerySet):
    def real(self):
        """Real procedures only: the one switch that keeps practice out of what is public or counted."""
        return self.filter(practice=False)


class LotQuerySet(models.QuerySet):
    def real(self):
        return self.filter(tender__practice=False)


class Tender(models.Model):
    """An auction notice (avis d'enchère)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    buyer = models.ForeignKey(
        "accounts.Organisation", verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="tenders"
    )
    reference = models.CharField(_("reference"), max_length=50, unique=True)
    original_language = models.CharField(
        _("original language"), max_length=2, choices=settings.LANGUAGES, default="fr"
    )
    title = TranslatedField(_("title"))
    object = TranslatedField(_("object"))
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    delivery_place = models.CharField(_("delivery place"), max_length=255)
    delivery_terms = TranslatedField(_("delivery terms"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.MAD)
    international = models.BooleanField(_("international notice"), default=False)
    # What 1 unit of the notice's currency was worth in other currencies when it was published,
    # {"USD": "0.1012"}: the statistics convert its amounts with this rate and show it.
    exchange_rates = models.JSONField(
        _("exchange rates"),
        default=dict,
        blank=True,
        validators=[validate_exchange_rates],
        help_text=_(
            'Value of one unit of the notice\'s currency in other currencies, e.g. {"USD": "0.1012"}.'
        ),
    )
    application_deadline = models.DateTimeField(_("application deadline"), validators=[within_horizon])
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    search = SearchVectorField(null=True, editable=False)
    # A practice procedure runs through the same machinery as a real one, and this mark keeps it out
    # of everything public or counted: notices, search, statistics, open data (see ``real()``).
    practice = models.BooleanField(_("practice"), default=False, editable=False)
    # A published notice the buyer cancelled before any auction ran (seei.tenders.cancellation).
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for the cancellation"), blank=True)
    # Where a draft came from (seei.tenders.copying): a notice copied as a template, or the
    # unsuccessful lot it relaunches.
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies", editable=False
    )
    relaunch_of = models.ForeignKey(
        "Lot", null=True, blank=True, on_delete=models.SET_NULL, related_name="relaunches", editable=False
    )
    # The documents this notice asks for, chosen in the draft (seei.tenders.requirements); empty: all.
    application_documents = models.JSONField(_("application documents required"), default=list, blank=True)
    award_documents = models.JSONField(_("award documents required"), default=list, blank=True)

    objects = TenderQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("notice")
        indexes = [
            GinIndex(fields=["search"]),
            models.Index(Upper("reference"), name="tender_reference_upper"),  # reference__iexact
            models.Index(fields=["status", "-published_at"]),
            models.Index(fields=["status", "application_deadline"]),
        ]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED

    def estimated_total(self):
        return sum((lot.estimated_amount for lot in self.lots.all()), Decimal(0))


class Lot(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open for applications")
        EXAMINATION = "examination", _("Applications under examination")
        UNSUCCESSFUL = "unsuccessful", _("Unsuccessful")
        SCHEDULED = "scheduled", _("Auction scheduled")
        RUNNING = "running", _("Auction running")
        CLOSED = "closed", _("Auction closed")
        AWARDED = "awarded", _("Awarded")
        CANCELLED = "cancelled", _("Cancelled")

    class DecrementKind(models.TextChoices):
        AMOUNT = "amount", _("Amount")
        PERCENT = "percent", _("Percentage of the starting price")

    class DecrementBase(models.TextChoices):
        OWN = "own", _("From the bidder's own last bid")
        BEST = "best", _("From the current best price")

    class Visibility(models.TextChoices):
        RANK = "rank", _("Own rank only")
        BEST = "best", _("Own rank and the best price")
        ALL = "all", _("Own rank and all prices (anonymous)")

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lots")
    number = models.PositiveIntegerField(_("lot number"))
    title = TranslatedField(_("title"))
    estimated_amount = AmountField(_("estimated amount"), validators=[MinValueValidator(Decimal("0.01"))])
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.OPEN)
    # Auction parameters (ARCHITECTURE.md section 2), bounded as the rules bound them (rules.MAX_*).
    starting_price = AmountField(_("starting price"), validators=[MinValueValidator(Decimal("0.01"))])
    min_decrement_kind = models.CharField(
        _("minimum decrement type"), max_length=8, choices=DecrementKind.choices, default=DecrementKind.AMOUNT
    )
    min_decrement = AmountField(_("minimum decrement"), validators=[MinValueValidator(Decimal("0.01"))])
    max_decrement_kind = models.CharField(
        _("maximum decrement type"),
        max_length=8,
        choices=DecrementKind.choices,
        default=DecrementKind.PERCENT,
    )
    max_decrement = AmountField(
        _("maximum decrement"), null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    decrement_base = models.CharField(
        _("decrement measured"), max_length=4, choices=DecrementBase.choices, default=DecrementBase.OWN
    )
    opens_at = models.DateTimeField(_("room opening"), validators=[within_horizon])
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION // timedelta(minutes=1))],
    )
    extension_window_seconds = models.PositiveIntegerField(
        _("extension window (seconds)"),
        default=180,
        validators=[MaxValueValidator(MAX_EXTENSION // timedelta(seconds=1))],
    )
    extension_seconds = models.PositiveIntegerField(
        _("extension (seconds)"),
        default=180,
        validators=[MaxValueValidator(MAX_EXTENSION // timedelta(seconds=1))],
    )
    extension_cap = models.PositiveIntegerField(
        _("maximum number of extensions"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_EXTENSION_CAP)],
    )
    only_lead_change_extends = models.BooleanField(_("only a change of leader extends"), default=False)
    visibility = models.CharField(
        _("what bidders see"), max_length=4, choices=Visibility.choices, default=Visibility.BEST
    )
    refuse_equal_best = models.BooleanField(_("refuse a bid equal to the best"), default=True)
    min_bid_interval_seconds = models.PositiveIntegerField(
        _("minimum interval between two bids (seconds)"),
        default=5,
        validators=[MaxValueValidator(MAX_BID_INTERVAL // timedelta(seconds=1))],
    )
    public_watch = models.BooleanField(_("the public may watch the room"), default=False)

    objects = LotQuerySet.as_manager()

    class Meta:
        ordering = ["tender", "number"]
        verbose_name = _("lot")
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="unique_lot_number")]

    def __str__(self):
        return f"{self.tender.reference} / {self.number}"

    def decrement_amount(self, kind, value) -> Decimal | None:
        if value is None:
            return None
        if kind == self.DecrementKind.PERCENT:
            return (self.starting_price * value / 100).quantize(Decimal("0.01"))
        return value


class Item(models.Model):
    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=1)
    designation = TranslatedField(_("designation"))
    specification = TranslatedField(_("technical specification"))
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, validators=[MinValueValidator(Decimal("0.001"))]
    )
    unit = models.CharField(_("unit"), max_length=30)

    class Meta:
        ordering = ["lot", "position", "id"]
        verbose_name = _("item")

    def __str__(self):
        return str(self.designation)


def document_path(instance, filename):
    return f"tenders/{instance.tender_id}/{instance.sha256[:16]}/{filename}"


class TenderDocument(models.Model):
    """A document of the consultation file."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=255)
    file = models.FileField(upload_to=document_path, max_length=500)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    erratum = models.ForeignKey(
        "Erratum",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text=_("the erratum that added it"),
    )
    withdrawn_by = models.ForeignKey(
        "Erratum", null=True, blank=True, on_delete=models.PROTECT, related_name="withdrawn_documents"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("document")

    def __str__(self):
        return self.title


class Erratum(models.Model):
    """A published, versioned change to a notice; the previous version stays visible."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="errata")
    number = models.PositiveIntegerField()
    reason = models.TextField(_("reason"))
    substantive = models.BooleanField(_("substantive change"), default=False)
    changes = models.JSONField(default=list)  # [{"field", "label", "before", "after"}]
    previous_version = models.JSONField(default=dict)  # the notice as it was, for the history
    deadline_before = models.DateTimeField()
    deadline_after = models.DateTimeField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["tender", "number"]
        verbose_name = _("erratum")
        verbose_name_plural = _("errata")
        constraints = [models.UniqueConstraint(fields=["tender", "number"], name="unique_erratum_number")]

    def __str__(self):
        return f"{self.tender.reference} erratum {self.number}"

    @property
    def deadline_moved(self):
        return self.deadline_after != self.deadline_before


class Clarification(models.Model):
    """A company's question; published with its answer, never with the asker's identity."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="clarifications")
    company = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField()
    # The buyer publishes the question as it may reword it (to remove anything identifying).
    published_question = models.TextField(_("question as published"), blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["asked_at", "id"]
        verbose_name = _("clarification request")

    def __str__(self):
        return f"{self.tender.reference} Q{self.pk}"

    @property
    def is_answered(self):
        return self.answered_at is not None


class Interest(models.Model):
    """A company showed interest in a notice: it is told of every erratum and answer."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download", _("Downloaded the consultation file")
        QUESTION = "question", _("Asked a question")
        APPLICATION = "application", _("Applied")

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="interests")
    company = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="interests")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tender", "company", "kind"], name="unique_interest")]

    def __str__(self):
        return f"{self.company} — {self.tender} ({self.kind})"
