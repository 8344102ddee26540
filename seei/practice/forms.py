from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from seei.practice.services import MAX_RIVALS


class StartForm(forms.Form):
    """The two clicks of a private practice auction: its length, its rivals, its decrement rules."""

    minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=1, max_value=60, initial=5)
    rivals = forms.IntegerField(label=_("Simulated rivals"), min_value=1, max_value=MAX_RIVALS, initial=3)
    min_decrement_percent = forms.DecimalField(
        label=_("Minimum decrement (%)"),
        min_value=Decimal("0.01"),
        max_value=50,
        decimal_places=2,
        initial="0.5",
    )
    max_decrement_percent = forms.DecimalField(
        label=_("Maximum decrement (%)"),
        min_value=Decimal("0.01"),
        max_value=50,
        decimal_places=2,
        initial="10",
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("min_decrement_percent"), data.get("max_decrement_percent")
        if low is not None and high is not None and low > high:
            raise forms.ValidationError(_("The minimum decrement cannot exceed the maximum decrement."))
        return data
