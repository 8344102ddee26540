"""Phase 1: sealed applications, the commission's examination, and the invitations.

Document contents never reach the database: they are encrypted at rest in the file store
(``seei.applications.sealing``); rows keep only what the seal allows (hashes, sizes).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The procedure's thresholds per lot: fewer applications at the opening, or fewer admitted
# companies at the close, and the lot is unsuccessful (infructueux).
MIN_APPLICATIONS = 3
MIN_ADMITTED = 2


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="applications")
    company = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="applications"
    )
    lots = models.ManyToManyField("tenders.Lot", related_name="applications")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    declaration = models.BooleanField(_("declaration on honour"), default=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("last change"))

    class Meta:
        verbose_name = _("application")
        constraints = [
            models.UniqueConstraint(fields=["tender", "company"], name="one_application_per_company")
        ]

    def __str__(self):
        return f"{self.tender.reference} — application #{self.pk}"


class ApplicationDocument(models.Model):
    class Kind(models.TextChoices):
        ADMINISTRATIVE = "administrative", _("Administrative document")
        TECHNICAL = "technical", _("Technical document")
        REQUESTED = "requested", _("Document requested by the commission")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    # Random; the file lives at sealing.path_of(storage_name) and its name says nothing.
    storage_name = models.CharField(max_length=64, unique=True)
    name_sealed = models.BinaryField()  # the original file name, encrypted like the content
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)  # of the plain content, as printed on the receipt
    uploaded_at = models.DateTimeField()
    replaced_at = models.DateTimeField(null=True, blank=True)  # kept, never deleted: receipts refer to it
    # A document the commission asked for during the examination (kind REQUESTED).
    request = models.ForeignKey(
        "DocumentRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("application document")

    def __str__(self):
        # Never the sealed name: a document is known by its fingerprint.
        return f"{self.get_kind_display()} {self.sha256[:12]}"


class Receipt(models.Model):
    """What the company gets for each submission or change: time, documents and their SHA-256."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Application submitted")
        CHANGED = "changed", _("Application changed")
        WITHDRAWN = "withdrawn", _("Application withdrawn")
        COMPLETED = "completed", _("Requested document supplied")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    issued_at = models.DateTimeField()
    # See seei.applications.receipts.receipt_content: documents by id, kind, size and SHA-256;
    # their names stay sealed (the company's page decrypts them for display).
    content = models.JSONField()
    sha256 = models.CharField(max_length=64)  # of the canonical JSON of ``content``
    signature = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="unique_receipt_number")
        ]

    def __str__(self):
        return f"receipt {self.number} of application #{self.application_id}"


class CommissionMember(models.Model):
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="commission")
    membership = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    is_president = models.BooleanField(_("president"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tender", "membership"], name="unique_commission_member")
        ]

    def __str__(self):
        return f"{self.membership} — {self.tender_id}"


class Examination(models.Model):
    """The commission's session on a notice: opened after the deadline, final once closed."""

    tender = models.OneToOneField("tenders.Tender", on_delete=models.PROTECT, related_name="examination")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("examination")

    def __str__(self):
        return f"examination of notice #{self.tender_id}"

    @property
    def is_closed(self):
        return self.closed_at is not None


class Decision(models.Model):
    class Outcome(models.TextChoices):
        ADMITTED = "admitted", _("Admitted")
        EXCLUDED = "excluded", _("Excluded")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("decision"), max_length=8, choices=Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "lot"], name="one_decision_per_lot")]

    def __str__(self):
        return f"{self.get_outcome_display()}: application #{self.application_id}, lot #{self.lot_id}"


def minutes_path(instance, filename):
    # A random name: the file store does not tell which notice a file belongs to.
    return f"minutes/{secrets.token_hex(16)}.pdf"


class Minutes(models.Model):
    """A procès-verbal generated from the data, stored with its hash."""

    class Kind(models.TextChoices):
        ADMISSION = "admission", _("Admission minutes")
        AUCTION = "auction", _("Auction minutes")

    tender = models.ForeignKey("tenders.Tender", on_delete=models.PROTECT, related_name="minutes")
    lot = models.ForeignKey(
        "tenders.Lot", null=True, blank=True, on_delete=models.PROTECT, related_name="minutes"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=minutes_path)
    sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["-generated_at", "-id"]  # the latest first: approvals write the minutes again

    def __str__(self):
        return f"{self.get_kind_display()} — notice #{self.tender_id}"


class Invitation(models.Model):
    """An admitted company is invited to the room of a lot."""

    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="invitations")
    company = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="invitations")
    opens_at = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lot", "company"], name="one_invitation_per_lot")]

    def __str__(self):
        return f"{self.company} — {self.lot}"


# The commission's session: declarations, votes, requests for documents, approval of the minutes.


class InterestDeclaration(models.Model):
    """Before the opening, a member declares that it has no conflict of interest, or that it has
    one and then takes no part in this notice's decisions."""

    member = models.OneToOneField(CommissionMember, on_delete=models.CASCADE, related_name="declaration")
    conflict = models.BooleanField(_("conflict of interest"))
    statement = models.TextField(_("statement"), blank=True)
    declared_at = models.DateTimeField()

    def __str__(self):
        return f"{self.member} — {'conflict' if self.conflict else 'no conflict'}"


class Vote(models.Model):
    """One member's vote on one application for one lot; the ``Decision`` is their outcome."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="votes")
    lot = models.ForeignKey("tenders.Lot", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(CommissionMember, on_delete=models.PROTECT, related_name="votes")
    outcome = models.CharField(_("vote"), max_length=8, choices=Decision.Outcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    voted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "lot", "member"], name="one_vote_per_member")
        ]

    def __str__(self):
        return f"{self.member}: {self.outcome} on application #{self.application_id}, lot #{self.lot_id}"


class DocumentRequest(models.Model):
    """During the examination, the commission asks a candidate for a missing document by a deadline."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="document_requests")
    description = models.TextField(_("document requested"))
    deadline = models.DateTimeField(_("deadline"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    supplied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"request #{self.pk} to application #{self.application_id}"


class MinutesApproval(models.Model):
    """After the close, each member approves the admission minutes, or records a reservation."""

    examination = models.ForeignKey(Examination, on_delete=models.PROTECT, related_name="approvals")
    member = models.ForeignKey(CommissionMember, on_delete=models.PROTECT, related_name="approvals")
    reservation = models.TextField(_("reservation"), blank=True)
    approved_at = models.DateTimeField()

    class Meta:
        ordering = ["approved_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["examination", "member"], name="one_approval_per_member")
        ]

    def __str__(self):
        return f"approval of {self.member}"
