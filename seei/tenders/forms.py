from django import forms
from django.utils.translation import gettext_lazy as _

from seei.core.forms import DateTimeInput, TranslatedFormField, finish_translations
from seei.core.uploads import validate_document
from seei.core.widgets import LanguageSelect
from seei.tenders import requirements
from seei.tenders.models import Currency, Item, Lot, Tender
from seei.tenders.services import ITEM_FIELDS, LOT_FIELDS, TENDER_FIELDS, TEXT_LIMITS

TRANSLATED_TENDER = ["title", "object", "delivery_terms"]


class TenderForm(forms.ModelForm):
    title = TranslatedFormField(label=_("Title"), max_length=300)
    object = TranslatedFormField(label=_("Object"), textarea=True)
    delivery_terms = TranslatedFormField(label=_("Delivery terms"), textarea=True, required=False)
    application_documents = forms.MultipleChoiceField(
        label=_("Documents required with an application"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all of them."),
    )
    award_documents = forms.MultipleChoiceField(
        label=_("Documents required from the provisional awardee"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all of them."),
    )

    class Meta:
        model = Tender
        fields = list(TENDER_FIELDS)
        widgets = {"application_deadline": DateTimeInput(), "original_language": LanguageSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "application_documents" in self.fields:
            self.fields["application_documents"].choices = requirements.application_choices()
            self.fields["award_documents"].choices = requirements.award_choices()

    def clean(self):
        cleaned = super().clean()
        finish_translations(self, "original_language", TRANSLATED_TENDER, required=("title", "object"))
        return cleaned


class ErratumForm(TenderForm):
    # The documents required are chosen in the draft, not changed by an erratum.
    application_documents = None
    award_documents = None

    reason = forms.CharField(
        label=_("Reason for the erratum"),
        max_length=TEXT_LIMITS["reason"],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    document = forms.FileField(label=_("Add a document"), required=False)
    document_title = forms.CharField(label=_("Title of the added document"), required=False, max_length=255)

    class Meta(TenderForm.Meta):
        fields = ["title", "object", "delivery_place", "delivery_terms", "application_deadline"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["withdraw"] = forms.ModelMultipleChoiceField(
            label=_("Withdraw documents"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            queryset=self.instance.documents.filter(withdrawn_by=None),
        )

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        self.cleaned_data["original_language"] = self.instance.original_language
        finish_translations(self, "original_language", TRANSLATED_TENDER, required=("title", "object"))
        if cleaned.get("document"):
            try:
                validate_document(cleaned["document"])
            except forms.ValidationError as error:
                self.add_error("document", error)
        return cleaned

    def clean_application_deadline(self):
        # The input shows minutes only: an untouched deadline must not count as a change.
        value = self.cleaned_data["application_deadline"]
        current = self.instance.application_deadline
        if value and current and value == current.replace(second=0, microsecond=0):
            return current
        return value

    def _post_clean(self):
        pass  # the erratum service applies the change, not the form


class LotForm(forms.ModelForm):
    title = TranslatedFormField(label=_("Title"), max_length=300)

    class Meta:
        model = Lot
        fields = list(LOT_FIELDS)
        widgets = {"opens_at": DateTimeInput()}

    def __init__(self, *args, original_language="fr", **kwargs):
        self.original_language = original_language
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        cleaned["original_language"] = self.original_language
        finish_translations(self, "original_language", ["title"], required=("title",))
        cleaned.pop("original_language")
        return cleaned


class ItemForm(forms.ModelForm):
    designation = TranslatedFormField(label=_("Designation"), max_length=300)
    specification = TranslatedFormField(label=_("Technical specification"), textarea=True)

    class Meta:
        model = Item
        fields = list(ITEM_FIELDS)  # a copy: formsets add the foreign key to it


ItemFormSet = forms.inlineformset_factory(
    Lot, Item, form=ItemForm, extra=2, min_num=1, validate_min=True, can_delete=True
)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    file = forms.FileField(label=_("File"), help_text=_("PDF or office document"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_document(upload)
        return upload


class AnswerForm(forms.Form):
    published_question = forms.CharField(
        label=_("Question as it will be published"),
        max_length=TEXT_LIMITS["published_question"],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Remove anything that could identify the company."),
    )
    answer = forms.CharField(
        label=_("Answer"), max_length=TEXT_LIMITS["answer"], widget=forms.Textarea(attrs={"rows": 4})
    )


# The buyer's everyday actions ------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the cancellation"),
        max_length=TEXT_LIMITS["reason"],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Published on the notice and sent to every company that followed it."),
    )


class ReferenceForm(forms.Form):
    reference = forms.CharField(label=_("Reference of the new notice"), max_length=50)


class RatesForm(forms.Form):
    """One rate per other currency of the platform: what one unit of the notice's currency is worth."""

    def __init__(self, *args, tender, **kwargs):
        super().__init__(*args, **kwargs)
        for code in Currency.values:
            if code == tender.currency:
                continue
            self.fields[code] = forms.CharField(
                label=_("1 %(currency)s in %(other)s") % {"currency": tender.currency, "other": code},
                required=False,
                max_length=24,
                initial=(tender.exchange_rates or {}).get(code, ""),
                help_text=_("For example 0.1012; leave empty for no rate."),
            )


def _opens_at_untouched(form, field):
    # The input shows minutes only: an untouched date must not count as a change.
    value = form.cleaned_data[field]
    current = getattr(form.instance, field)
    if value and current and value == current.replace(second=0, microsecond=0):
        return current
    return value


class LotErratumForm(LotForm):
    """A published lot's values, for an erratum: the erratum service applies the change."""

    def clean_opens_at(self):
        return _opens_at_untouched(self, "opens_at")

    def _post_clean(self):
        pass


class ItemErratumForm(ItemForm):
    def __init__(self, *args, original_language="fr", **kwargs):
        self.original_language = original_language
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        for field in ("designation", "specification"):
            if isinstance(cleaned.get(field), dict):
                cleaned[field]["orig"] = self.original_language
        return cleaned

    def _post_clean(self):
        pass
