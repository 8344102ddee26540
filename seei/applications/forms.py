"""Forms of phase 1. They only shape the input; the services apply the rules."""

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from seei.applications.models import Decision
from seei.core.forms import DateTimeInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class LotChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, lot):
        # The title may be shown in the notice's original language: the label says which.
        title = format_html('<span lang="{}">{}</span>', lot.title.lang, lot.title)
        return mark_safe(
            conditional_escape(_("Lot %(number)s — %(title)s")) % {"number": lot.number, "title": title}
        )


ACCEPTED = _("PDF, Word, Excel, PowerPoint, OpenDocument, PNG or JPEG; the content must match the extension.")


class ApplicationForm(forms.Form):
    """Apply, or change an application (then ``documents`` lists those that can be taken out)."""

    lots = LotChoiceField(
        label=_("Lots you apply for"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Lot %(value)s is not a lot of this notice."),
            "required": _("Choose at least one lot."),
        },
    )
    administrative = MultipleFileField(
        label=_("Administrative documents"), required=False, help_text=ACCEPTED
    )
    technical = MultipleFileField(label=_("Technical documents"), required=False, help_text=ACCEPTED)
    remove = forms.TypedMultipleChoiceField(
        label=_("Documents to take out (to replace them, upload the new version above)"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    declaration = forms.BooleanField(
        label=_(
            "I declare on my honour that the information and documents of this application are true and "
            "that my company is not excluded from public procurement."
        ),
        required=False,  # the service says why it is needed, next to the other rules
    )

    def __init__(self, *args, tender, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lots"].queryset = tender.lots.order_by("number")
        choices = [(d.pk, f"{d.get_kind_display()} — {d.name}") for d in documents]
        self.fields["remove"].choices = choices
        if not choices:
            del self.fields["remove"]

    def new_documents(self) -> list[tuple[str, object]]:
        data = self.cleaned_data
        return [("administrative", f) for f in data.get("administrative") or []] + [
            ("technical", f) for f in data.get("technical") or []
        ]


class CommissionForm(forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("Commission members"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Name at least one commission member.")},
    )
    president = forms.ModelChoiceField(
        label=_("President"), queryset=None, required=False, empty_label=_("(none)")
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = candidates
        self.fields["president"].queryset = candidates
        self.fields["members"].label_from_instance = _person
        self.fields["president"].label_from_instance = _person


def _person(membership) -> str:
    user = membership.user
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


class DecisionForm(forms.Form):
    """One application: admitted or excluded on each of its lots, with the reason of an exclusion."""

    def __init__(self, *args, lots, decisions, **kwargs):
        super().__init__(*args, **kwargs)
        self.lot_fields = []
        for lot in lots:
            decision = decisions.get(lot.pk)
            outcome = forms.ChoiceField(
                label=_("Lot %(number)s") % {"number": lot.number},
                choices=Decision.Outcome.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=decision.outcome if decision else None,
            )
            reason = forms.CharField(
                label=_("Reason for the exclusion (lot %(number)s)") % {"number": lot.number},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=decision.reason if decision else "",
            )
            self.fields[f"outcome_{lot.pk}"] = outcome
            self.fields[f"reason_{lot.pk}"] = reason
            self.lot_fields.append((lot, self[f"outcome_{lot.pk}"], self[f"reason_{lot.pk}"]))
        self.lots = lots

    def decisions(self) -> list[tuple[int, str, str]]:
        data = self.cleaned_data
        return [
            (lot.pk, data[f"outcome_{lot.pk}"], data.get(f"reason_{lot.pk}", ""))
            for lot in self.lots
            if data.get(f"outcome_{lot.pk}")
        ]


class DeclarationForm(forms.Form):
    """Before the opening: no conflict of interest, or a conflict (then the member does not deliberate)."""

    conflict = forms.TypedChoiceField(
        label=_("Conflict of interest"),
        choices=[
            ("no", _("I declare that I have no conflict of interest with the candidates of this notice.")),
            ("yes", _("I declare a conflict of interest: I take no part in this notice's decisions.")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the two declarations.")},
    )
    statement = forms.CharField(
        label=_("The conflict, in a few words (if you declare one)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DocumentRequestForm(forms.Form):
    description = forms.CharField(
        label=_("Missing document"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    deadline = forms.DateTimeField(
        label=_("To upload by"),
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class SupplyForm(forms.Form):
    file = forms.FileField(label=_("The requested document"), help_text=ACCEPTED)


class ApprovalForm(forms.Form):
    reservation = forms.CharField(
        label=_("Reservation (leave empty to approve without reservation)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
