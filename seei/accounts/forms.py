"""Forms of the accounts pages: company registration, login by email, profile, API tokens."""

from babel import Locale, UnknownLocaleError
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from seei.accounts import services, throttle
from seei.accounts.models import Membership, User
from seei.core.widgets import LanguageSelect

# The countries a company most often comes from; Morocco (national companies) comes first.
COUNTRY_CODES = (
    "MA DZ TN MR LY EG SN CI ML NE BF GN CM GA NG GH KE ZA "
    "FR ES PT IT DE BE NL LU CH AT GB IE SE DK FI NO PL CZ RO GR TR RU UA "
    "US CA MX BR AR CN JP KR IN AE SA QA KW JO LB AU"
).split()


def country_choices() -> list[tuple[str, str]]:
    """The countries named in the visitor's language, Morocco first, then by name."""
    try:
        names = Locale.parse((get_language() or settings.LANGUAGE_CODE)[:2]).territories
    except (UnknownLocaleError, ValueError):
        names = Locale("en").territories
    others = sorted((code for code in COUNTRY_CODES if code != "MA"), key=lambda code: names.get(code, code))
    return [(code, names.get(code, code)) for code in ["MA", *others]]


class NewPersonForm(forms.Form):
    """A new person's name, password (twice, checked against the person) and preferred language."""

    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput({"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput({"autocomplete": "family-name"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
        help_text=_("Enter the same password as before, for verification."),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, widget=LanguageSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = (get_language() or settings.LANGUAGE_CODE)[:2]

    def new_person(self) -> User:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two password fields didn’t match."))
        elif password2:
            try:  # with the person, so that the password may not resemble their name or email
                password_validation.validate_password(password2, self.new_person())
            except ValidationError as error:
                self.add_error("password2", error)
        return cleaned


class CompanyRegistrationForm(NewPersonForm):
    """A company and the first person who acts for it, registered together."""

    field_order = [
        "company_name",
        "country",
        "ice",
        "rc",
        "national_registration",
        "city",
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
        "language",
    ]

    company_name = forms.CharField(label=_("Company name"), max_length=255)
    country = forms.ChoiceField(
        label=_("Country of registration"),
        help_text=_(
            "A company registered in Morocco gives its ICE; a foreign company gives its national "
            "registration number."
        ),
    )
    # No max_length here: a wrong length gets the ICE's own message from the service.
    ice = forms.CharField(
        label=_("ICE (15 digits)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    rc = forms.CharField(label=_("Trade register number (RC)"), max_length=50, required=False)
    national_registration = forms.CharField(
        label=_("National registration number (foreign companies)"), max_length=80, required=False
    )
    city = forms.CharField(label=_("City"), max_length=100)

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput({"autocomplete": "email"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        self.fields["country"].initial = "MA"

    def clean_ice(self):
        # People often type the ICE in groups of digits; spaces are not part of it.
        return "".join(self.cleaned_data["ice"].split())

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def new_person(self) -> User:
        return User(**self.person_values())

    def clean(self):
        cleaned = super().clean()
        try:
            services.check_registration(self.company_values(), self.person_values())
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def company_values(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data.get("company_name"),
            "country": data.get("country"),
            "ice": data.get("ice"),
            "rc": data.get("rc", ""),
            "national_registration": data.get("national_registration", ""),
            "city": data.get("city"),
        }

    def person_values(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in ("first_name", "last_name", "email", "language")}


class ThrottledLoginMixin:
    """A login form whose wrong passwords are counted and which, past the limits, refuses before the
    password is even checked (seei.accounts.throttle): the site's login and the admin's alike."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email and password:
            try:
                throttle.check_login(self.request, email)
            except throttle.Throttled as refusal:
                raise ValidationError(refusal.message, code="throttled") from refusal
        return super().clean()

    def get_invalid_login_error(self):
        throttle.login_failed(self.request, self.cleaned_data.get("username"))
        return super().get_invalid_login_error()


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """/admin/login/: the staff's accounts are the most worth guessing."""


class EmailAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """Django's login form (the username is the email) that explains why an account may not log in."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "unverified": _(
            "Your email address is not verified yet. Follow the link in the email we sent you to activate "
            "your account; we have just sent you a new one."
        ),
        "inactive": _("This account is disabled. Please contact the platform administration."),
        "unverified_throttled": _(
            "Your email address is not verified yet. Follow the link in one of the emails we sent you to "
            "activate your account; you may ask for a new one in %(minutes)s min."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.unverified_user = None
        self.fields["username"].label = _("Email")
        self.fields["username"].widget = forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def get_invalid_login_error(self):
        # Django's backend ignores inactive accounts; tell their owner (and only their owner, who knows
        # the password) why, instead of a generic refusal. Asked only within the limits (the mixin).
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        dormant = User.objects.filter(email__iexact=email, is_active=False).first()
        if dormant is not None and dormant.check_password(password):
            self.confirm_login_allowed(dormant)  # raises its reason
        return super().get_invalid_login_error()

    def confirm_login_allowed(self, user):
        if not user.email_verified:
            self.unverified_user = user
            raise ValidationError(self.error_messages["unverified"], code="unverified")
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "language": _("Preferred language"),
        }
        widgets = {"language": LanguageSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Other people see this name (commission, minutes): it may not be left empty.
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True


class MembershipChoiceForm(forms.Form):
    """Which of the person's own memberships they act for; any other is refused."""

    membership = forms.ModelChoiceField(queryset=Membership.objects.none())

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = Membership.objects.select_related("organisation").filter(
            user=user
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What the token is for, e.g. “ERP integration”.")
    )
