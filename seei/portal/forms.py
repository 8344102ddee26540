from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from seei.accounts.models import Organisation
from seei.core.widgets import Select
from seei.portal.results import STATUS_CHOICES as RESULT_STATUSES
from seei.portal.selectors import STATUS_CHOICES
from seei.tenders.models import Category, Currency, Region, Tender
from seei.tenders.services import TEXT_LIMITS


class BuyerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.parent.name})" if obj.parent_id else obj.name


def published_buyers():
    """Only buyers that published something, and the ministries above them.
    EXISTS, not a join + DISTINCT: this reads every notice."""
    published = Tender.objects.real().filter(status=Tender.Status.PUBLISHED)
    return (
        Organisation.objects.filter(kind=Organisation.Kind.BUYER)
        .filter(
            Exists(published.filter(buyer=OuterRef("pk")))
            | Exists(published.filter(buyer__parent=OuterRef("pk")))
        )
        .select_related("parent")
        .order_by("name")
    )


class NoticeSearchForm(forms.Form):
    """The public search: every field optional, read from the query string."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Object, item, reference, buyer…")}),
        help_text=_("Words of the object, of an item's specification, the reference or the buyer's name."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("All categories"),
        widget=Select,
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("All regions"),
        widget=Select,
    )
    buyer = BuyerChoiceField(
        label=_("Buyer"),
        queryset=published_buyers(),
        required=False,
        empty_label=_("All buyers"),
        widget=Select,
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *STATUS_CHOICES], widget=Select
    )
    closing_from = forms.DateField(
        label=_("Closing from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    closing_to = forms.DateField(
        label=_("Closing until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    currency = forms.ChoiceField(
        label=_("Currency"),
        required=False,
        choices=[("", _("Any currency")), *Currency.choices],
        widget=Select,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def use_options(self, options: dict) -> None:
        """Offer what ``filter_options()`` read (kept in cache) rather than read it again while
        rendering; the querysets still validate the choice made."""
        for name, choices in options.items():
            self.fields[name].choices = choices

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("closing_from"), cleaned.get("closing_to")
        if start and end and start > end:
            self.add_error("closing_to", _("This date must not be before the “closing from” date."))
        return cleaned

    def criteria(self) -> dict:
        """The valid criteria; an invalid one is ignored (and shown with its error)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


def filter_options() -> dict[str, list[tuple]]:
    """The options of the filters read from the database, as plain values to keep in cache."""
    options = {}
    for name in ("category", "region", "buyer"):
        field = NoticeSearchForm.base_fields[name]
        rows = field.queryset.all()  # a copy: the class's own queryset must never keep results
        options[name] = [
            ("", str(field.empty_label)),
            *((row.pk, field.label_from_instance(row)) for row in rows),
        ]
    return options


class ClarificationForm(forms.Form):
    label_suffix = ""
    question = forms.CharField(
        label=_("Your question"),
        max_length=TEXT_LIMITS["question"],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The buyer publishes its answer on this page for everyone, without your company's name. "
            "It may reword your question to remove anything that identifies you."
        ),
    )


def _day(label):
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class ResultsForm(forms.Form):
    """The public results' filters, read from the query string; the search's own fields reused."""

    q = NoticeSearchForm.base_fields["q"]
    buyer = NoticeSearchForm.base_fields["buyer"]
    category = NoticeSearchForm.base_fields["category"]
    region = NoticeSearchForm.base_fields["region"]
    status = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", _("Awarded or unsuccessful")), *RESULT_STATUSES],
        widget=Select,
    )
    start = _day(_("Auction from"))
    end = _day(_("Auction until"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    use_options = NoticeSearchForm.use_options
    criteria = NoticeSearchForm.criteria

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("This date must not be before the “auction from” date."))
        return cleaned
