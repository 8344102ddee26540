from django import forms
from django.utils.translation import gettext_lazy as _

from seei.opendata import selectors as opendata
from seei.opendata.forms import buyer_field, region_field
from seei.redflags import rules, selectors, texts


class RedFlagsForm(forms.Form):
    """The selection of the red-flags page, read from the query string."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    buyer = buyer_field()
    flag = forms.ChoiceField(label=_("Red flag"), required=False)
    region = region_field(to_field_name="code")  # the code, as in the API and on each flag

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        years = selectors.years()
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["year"].initial = years[0] if years else None
        self.fields["flag"].choices = [("", _("All red flags"))] + [
            (code, f"{code} — {texts.TITLES[code]}") for code in rules.CODES
        ]

    def selection(self) -> dict:
        data = self.cleaned_data if self.is_bound else {}
        buyer = data.get("buyer")
        region = data.get("region")
        return {
            "year": data.get("year") or self.fields["year"].initial,
            "buyers": opendata.buyer_tree(buyer.pk if buyer else None),
            "code": data.get("flag") or None,
            "region": region.code if region else None,
        }
