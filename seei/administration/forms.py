from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from seei.accounts import services as accounts
from seei.accounts.models import Organisation
from seei.administration import organisations
from seei.administration.models import Announcement
from seei.core import clock
from seei.core.forms import DateTimeInput, TranslatedFormField, finish_translations
from seei.core.translated import LANGS

KIND_CHOICES = [("", _("All kinds"))] + list(Organisation.Kind.choices)


class OrganisationFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, required=False)
    q = forms.CharField(label=_("Search (name, ICE, RC)"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class _OrganisationForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class BuyerForm(_OrganisationForm):
    class Meta:
        model = Organisation
        fields = ["name", "buyer_type", "parent", "city"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer_type"].required = True
        parents = Organisation.objects.filter(kind=Organisation.Kind.BUYER)
        if self.instance.pk:  # never under itself or one of its own directorates
            parents = parents.exclude(pk__in={self.instance.pk} | organisations.descendants(self.instance))
        self.fields["parent"].queryset = parents.order_by("name")
        self.fields["parent"].help_text = _("The ministry or body this buyer belongs to, if any.")


class AccountantPostForm(_OrganisationForm):
    class Meta:
        model = Organisation
        fields = ["name", "city"]


class PlatformForm(_OrganisationForm):
    class Meta:
        model = Organisation
        fields = ["name"]


class CompanyForm(_OrganisationForm):
    class Meta:
        model = Organisation
        fields = ["name", "ice", "rc", "city", "country", "national_registration"]

    def clean_ice(self):
        return (self.cleaned_data.get("ice") or "").strip() or None

    def clean(self):
        cleaned = super().clean()
        try:  # the registration's rules: an ICE in Morocco, a national number abroad
            accounts.check_registration(
                {
                    "country": cleaned.get("country"),
                    "ice": cleaned.get("ice"),
                    "national_registration": cleaned.get("national_registration"),
                },
                {},
            )
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                if name not in self.errors:
                    self.add_error(name, errors)
        ice = cleaned.get("ice")
        checked = not self.instance.pending  # a company created here is checked by whoever creates it
        if ice and checked and "ice" not in self.errors:
            taken = Organisation.objects.filter(ice=ice, pending=False).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("ice", _("Another checked company already has this ICE."))
        return cleaned


FORMS = {
    Organisation.Kind.BUYER: BuyerForm,
    Organisation.Kind.ACCOUNTANT_POST: AccountantPostForm,
    Organisation.Kind.COMPANY: CompanyForm,
    Organisation.Kind.PLATFORM: PlatformForm,
}


class PerimeterForm(forms.Form):
    buyers = forms.ModelMultipleChoiceField(
        label=_("Buyers in the perimeter"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.BUYER).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class AnnouncementForm(forms.Form):
    original_language = forms.ChoiceField(
        label=_("Original language"), choices=[(code, code) for code in LANGS], initial="fr"
    )
    title = TranslatedFormField(label=_("Title"), max_length=200)
    body = TranslatedFormField(label=_("Text"), textarea=True, max_length=4000, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Announcement.Severity.choices)
    starts_at = forms.DateTimeField(
        label=_("Shown from"), widget=DateTimeInput(), required=False, help_text=_("Empty: from now.")
    )
    ends_at = forms.DateTimeField(
        label=_("Shown until"),
        widget=DateTimeInput(),
        required=False,
        help_text=_("Empty: until ended here."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        from seei.core.forms import LANG_LABELS

        self.fields["original_language"].choices = list(LANG_LABELS.items())

    @classmethod
    def initial_from(cls, announcement: Announcement) -> dict:
        return {
            "original_language": announcement.title.original,
            "title": announcement.title,
            "body": announcement.body,
            "severity": announcement.severity,
            "starts_at": announcement.starts_at,
            "ends_at": announcement.ends_at,
        }

    def clean(self):
        cleaned = super().clean()
        finish_translations(self, "original_language", ["title", "body"], required=("title",))
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if ends_at and ends_at <= (starts_at or clock.now()):
            self.add_error("ends_at", _("The end must come after the start."))
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "body", "severity", "starts_at", "ends_at")}
