from django import forms
from django.utils.translation import gettext_lazy as _

MIN_MESSAGE_LENGTH = 10


def one_line(text: str) -> str:
    """Whitespace collapsed: a subject or a name goes into email headers, where a line break is refused."""
    return " ".join(text.split())


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput({"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The help desk answers you at this address."),
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        widget=forms.Textarea({"rows": 6}),
        help_text=_("Say which notice or page it is about (its reference), what you did and what you saw."),
    )

    @classmethod
    def for_user(cls, user, data=None) -> "ContactForm":
        """Prefilled with the name and email of a logged-in person."""
        initial = {}
        if user.is_authenticated:
            initial = {"name": user.get_full_name(), "email": user.email}
        return cls(data, initial=initial)

    def clean_name(self):
        return one_line(self.cleaned_data["name"])

    def clean_subject(self):
        return one_line(self.cleaned_data["subject"])

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_message(self):
        message = self.cleaned_data["message"]
        if len(message) < MIN_MESSAGE_LENGTH:
            raise forms.ValidationError(
                _("Please describe your request in a few words at least."), code="too_short"
            )
        return message
