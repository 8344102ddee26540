"""The award's forms: the candidate's documents, the commission's decisions, the accountant's visa and
payments. They only shape the input; the rules are in ``services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from seei.awards import documents
from seei.awards.models import Visa
from seei.core.amounts import AmountFormField


class DocumentsForm(forms.Form):
    """One file per document the award requires."""

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind] = forms.FileField(
                label=documents.label(kind),
                help_text=_("PDF, image or office document."),
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.docx,.odt"}),
            )

    def files_by_kind(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.fields}


class ConfirmForm(forms.Form):
    rank = forms.IntegerField(widget=forms.HiddenInput)
    low_price_note = forms.CharField(
        label=_("What the commission checked about the abnormally low price"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FailForm(forms.Form):
    rank = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why the candidate fails"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Told to the company and written in the minutes; the award then passes to the next rank."
        ),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class VisaForm(forms.Form):
    """The decision; a granted visa carries its commitment (checked by the service)."""

    decision = forms.ChoiceField(label=_("Decision"), choices=Visa.Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the visa is refused."),
    )
    commitment_amount = AmountFormField(
        label=_("Committed amount"),
        required=False,
        help_text=_("Required when the visa is granted; at most the awarded amount."),
    )
    budget_line = forms.CharField(
        label=_("Budget line"),
        required=False,
        max_length=120,
        help_text=_("The budget imputation the commitment is charged to."),
    )
    committed_on = forms.DateField(label=_("Commitment date"), required=False, widget=DateInput)


class ReversalForm(forms.Form):
    payment = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why this payment is reversed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The payment stays in the account book, cancelled by a reversing entry."),
    )


class AccountantFilterForm(forms.Form):
    """The filters of the accountant's list (and of its CSV export and statistics)."""

    state = forms.ChoiceField(label=_("Status"), required=False)
    buyer = forms.ModelChoiceField(
        label=_("Buyer"), required=False, queryset=None, empty_label=_("All buyers")
    )
    start = forms.DateField(label=_("Final from"), required=False, widget=DateInput)
    end = forms.DateField(label=_("Final until"), required=False, widget=DateInput)
    q = forms.CharField(
        label=_("Reference"), required=False, max_length=80, help_text=_("Notice or payment.")
    )

    def __init__(self, *args, buyers, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buyer"].queryset = buyers
        self.fields["state"].choices = [("", _("All")), *states]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Payment date"), widget=DateInput)
    amount = AmountFormField(label=_("Amount"))
    reference = forms.CharField(label=_("Reference"), max_length=80, help_text=_("Order or transfer number."))
