from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from seei.opendata import selectors, statistics
from seei.tenders.models import Category, Currency, Region


class BuyerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.parent.name})" if obj.parent_id else obj.name


def buyer_field():
    """The buyer to select on (its sub-organisations included), among those with a published notice;
    the statistics and the red flags read it with ``selectors.buyer_tree``."""
    return BuyerChoiceField(
        label=_("Buyer"),
        queryset=selectors.buyer_choices(),
        required=False,
        empty_label=_("All buyers"),
        help_text=_("Its sub-organisations are included."),
    )


def region_field(**kwargs):
    return forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.all(),
        required=False,
        empty_label=_("All regions"),
        **kwargs,
    )


def _date_field(label):
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class StatisticsForm(forms.Form):
    """The selection of the statistics page, read from the query string; every field is optional."""

    start = _date_field(_("From"))
    end = _date_field(_("Until"))
    buyer = buyer_field()
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False, empty_label=_("All categories")
    )
    region = region_field()
    currency = forms.ChoiceField(label=_("Currency of the tables"), required=False, choices=Currency.choices)
    by = forms.ChoiceField(
        label=_("Figures per"), required=False, choices=list(statistics.BREAKDOWNS.items()), initial="year"
    )

    def __init__(self, *args, scope: list[int] | None = None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if self.is_bound and not self.data.get("currency"):
            # The select shows the currency the figures are actually in.
            self.data = self.data.copy()
            self.data["currency"] = statistics.default_currency()
        self.scope = scope
        self.fields["buyer"].queryset = selectors.buyer_choices(scope)
        self.fields["currency"].initial = statistics.default_currency()

    def clean(self):
        cleaned = super().clean()
        try:
            statistics.check_period(cleaned.get("start"), cleaned.get("end"))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)
        return cleaned

    def selection(self) -> tuple[statistics.Filters, str]:
        """The filters and the breakdown asked for (the defaults when the form is not bound)."""
        data = self.cleaned_data if self.is_bound else {}
        buyer = data.get("buyer")
        filters = statistics.make_filters(
            data.get("start"),
            data.get("end"),
            data.get("currency") or None,
            buyers=selectors.buyer_tree(buyer.pk if buyer else None, self.scope),
            category=data["category"].pk if data.get("category") else None,
            region=data["region"].pk if data.get("region") else None,
        )
        return filters, data.get("by") or "year"
