"""Forms of the people pages: an invitation, its acceptance by a new person, an organisation's details."""

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from seei.accounts import organisation_details, people
from seei.accounts.forms import NewPersonForm
from seei.accounts.models import Organisation, User
from seei.core.widgets import LanguageSelect


class InvitationForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    email = forms.EmailField(label=_("Email"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))
    language = forms.ChoiceField(
        label=_("Language of the email"),
        choices=settings.LANGUAGES,
        widget=LanguageSelect,
        help_text=_("If the person already has an account, the email is in their own language."),
    )

    def __init__(self, actor, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = (get_language() or settings.LANGUAGE_CODE)[:2]
        if people.is_administrator(actor):
            self.fields["organisation"].queryset = people.organisations_managed(actor).exclude(
                kind="practice"
            )
            self.fields["organisation"].initial = organisation
            roles = list(
                dict.fromkeys(
                    role for org_kind in Organisation.Kind for role in _roles_of_kind(actor, org_kind)
                )
            )
        else:
            del self.fields["organisation"]
            self.own_organisation = actor.organisation
            roles = people.grantable_roles(actor, actor.organisation)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]

    def target(self):
        return self.cleaned_data.get("organisation") or self.own_organisation


def _roles_of_kind(actor, kind):
    return people.grantable_roles(actor, Organisation(kind=kind))


class InvitedPersonForm(NewPersonForm):
    """A new person's account, from an invitation sent to their email."""

    def __init__(self, email, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def new_person(self) -> User:
        data = self.cleaned_data
        return User(
            email=self.email, first_name=data.get("first_name", ""), last_name=data.get("last_name", "")
        )


class OrganisationDetailsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "rc", "city"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = organisation_details.editable_fields(self.instance)
        for name in list(self.fields):
            if name not in allowed:
                del self.fields[name]
