from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ice_validator = RegexValidator(r"^[0-9]{15}$", _("The ICE is made of exactly 15 digits."), code="invalid_ice")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        BUYER = "buyer", _("Public buyer")
        COMPANY = "company", _("Company")
        ACCOUNTANT_POST = "accountant_post", _("Accountant post")
        PLATFORM = "platform", _("Platform administration")
        PRACTICE = "practice", _("Simulated company (practice)")

    class BuyerType(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        LOCAL_AUTHORITY = "local_authority", _("Local authority")
        PUBLIC_BODY = "public_body", _("Public body")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=255)
    # Public buyers: their place in the hierarchy (a directorate under its ministry, ...).
    buyer_type = models.CharField(_("buyer type"), max_length=20, choices=BuyerType.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Companies. National ones have an ICE; foreign ones a country and registration number.
    # Unique among checked companies only (constraint below): a registrant cannot squat another's ICE.
    ice = models.CharField(_("ICE"), max_length=15, null=True, blank=True, validators=[ice_validator])
    rc = models.CharField(_("trade register number (RC)"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="MA", help_text=_("ISO 3166 code"))
    national_registration = models.CharField(_("national registration number"), max_length=80, blank=True)
    # Accountant posts: the buyers whose spending they control.
    perimeter = models.ManyToManyField(
        "self",
        verbose_name=_("perimeter"),
        symmetrical=False,
        blank=True,
        related_name="accountant_posts",
        limit_choices_to={"kind": "buyer"},
    )
    # A self-registered company waits until an administrator has checked its identifier (ICE or
    # national number): it may log in, but not apply (``approve_company``).
    pending = models.BooleanField(
        _("awaiting identity check"),
        default=False,
        help_text=_("A self-registered company cannot apply until an administrator has checked its ICE."),
    )
    # Set by an administrator: whether the organisation's managers (``Membership.is_manager``) may
    # invite and remove its people. Empty: the default of its kind (``manages_people_locally``).
    members_managed_locally = models.BooleanField(
        _("its managers manage its people"),
        null=True,
        blank=True,
        help_text=_("Empty: the default of its kind, yes for a company, no for a public buyer."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        constraints = [
            models.CheckConstraint(
                condition=Q(ice__isnull=True) | Q(ice__regex=r"^[0-9]{15}$"), name="ice_15_digits"
            ),
            models.CheckConstraint(
                condition=~Q(kind="company") | Q(ice__isnull=False) | ~Q(national_registration=""),
                name="company_identified",
            ),
            models.UniqueConstraint(fields=["ice"], condition=Q(pending=False), name="unique_checked_ice"),
        ]

    def __str__(self):
        return self.name

    @property
    def manages_people_locally(self) -> bool:
        """Whether its managers may invite, promote and remove its people (an administrator always may)."""
        if self.members_managed_locally is not None:
            return self.members_managed_locally
        return self.kind == self.Kind.COMPANY

    @property
    def is_foreign(self) -> bool:
        return self.kind == self.Kind.COMPANY and self.country != "MA"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, email_verified=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    email_verified = models.BooleanField(_("email verified"), default=False)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="fr")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")

    def __str__(self):
        return self.get_full_name() or self.email


class Role(models.TextChoices):
    COMPANY_MEMBER = "company_member", _("Company member")
    BUYER_AGENT = "buyer_agent", _("Buyer agent")
    COMMISSION_MEMBER = "commission_member", _("Commission member")
    ACCOUNTANT = "accountant", _("Accountant")
    ADMINISTRATOR = "administrator", _("Platform administrator")


# Which kind of organisation each role acts for.
ROLE_ORGANISATION_KIND = {
    Role.COMPANY_MEMBER: Organisation.Kind.COMPANY,
    Role.BUYER_AGENT: Organisation.Kind.BUYER,
    Role.COMMISSION_MEMBER: Organisation.Kind.BUYER,
    Role.ACCOUNTANT: Organisation.Kind.ACCOUNTANT_POST,
    Role.ADMINISTRATOR: Organisation.Kind.PLATFORM,
}

# Separation of duties: whoever writes and runs an organisation's notices (buyer agent) never also
# examines who applied to them (commission member), so that the buyer never knows who bids.
SEPARATED_ROLES = frozenset({Role.BUYER_AGENT, Role.COMMISSION_MEMBER})


class Membership(models.Model):
    """A person's role in one organisation; a person acts through one membership at a time."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Granted and withdrawn by an administrator or another manager (``seei.accounts.people``).
    is_manager = models.BooleanField(_("manages the organisation's people"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="unique_membership")
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"

    def clean(self):
        from django.core.exceptions import ValidationError

        expected = ROLE_ORGANISATION_KIND[self.role]
        if self.organisation_id and self.organisation.kind != expected:
            raise ValidationError(
                _("A %(role)s must belong to a %(kind)s.")
                % {"role": self.get_role_display(), "kind": Organisation.Kind(expected).label}
            )
        if self.holds_the_other_separated_role():  # a new role, or an existing one changed into it
            raise ValidationError(
                _(
                    "A person cannot be both a buyer agent and a commission member of the same "
                    "organisation: the buyer must never know who applies or bids."
                )
            )

    def holds_the_other_separated_role(self) -> bool:
        """Whether this person already holds, in this organisation, the role this one is kept apart from."""
        if self.role not in SEPARATED_ROLES or not (self.user_id and self.organisation_id):
            return False
        return (
            Membership.objects.filter(
                user_id=self.user_id,
                organisation_id=self.organisation_id,
                role__in=SEPARATED_ROLES - {self.role},
            )
            .exclude(pk=self.pk)
            .exists()
        )


class ApiToken(models.Model):
    """A personal token for the JSON API; only its hash is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class MemberInvitation(models.Model):
    """An invitation, by email, to act for an organisation in a role (``seei.accounts.invitations``).

    Only the hash of the link's one-time key is stored. It is pending until accepted, revoked or expired.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="member_invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="fr")
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation to join an organisation")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.email} — {self.get_role_display()} — {self.organisation}"

    def is_pending(self, now) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class ThrottleHit(models.Model):
    """One counted attempt (a wrong password, a reset email...) of a throttled flow (``throttle.py``).

    The key is a hash of what is limited (an account, an address, both): no address or typed
    email is kept in clear. Rows older than the longest window are deleted as new ones come.
    """

    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["scope", "key", "at"], name="throttle_scope_key_at")]

    def __str__(self):
        return f"{self.scope} {self.key[:8]}… {self.at:%Y-%m-%d %H:%M:%S}"
