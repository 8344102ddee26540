from django import forms
from django.utils.translation import gettext_lazy as _

from seei.core.forms import DateTimeInput, TranslatedFormField, finish_translations
from seei.core.uploads import validate_document
from seei.core.widgets import LanguageSelect
from seei.tenders.models import Item, Lot, Tender
from seei.tenders.services import ITEM_FIELDS, LOT_FIELDS, TENDER_FIELDS, TEXT_LIMITS

TRANSLATED_TENDER = ["title", "object", "delivery_terms"]


class TenderForm(forms.ModelForm):
    title = TranslatedFormField(label=_("Title"), max_length=300)
    object = TranslatedFormField(label=_("Object"), textarea=True)
    delivery_terms = TranslatedFormField(label=_("Delivery terms"), textarea=True, required=False)

    class Meta:
        model = Tender
        fields = list(TENDER_FIELDS)
        widgets = {"application_deadline": DateTimeInput(), "original_language": LanguageSelect}

    def clean(self):
        cleaned = super().clean()
        finish_translations(self, "original_language", TRANSLATED_TENDER, required=("title", "object"))
        return cleaned


class ErratumForm(TenderForm):
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
