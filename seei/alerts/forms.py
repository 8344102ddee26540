from django import forms
from django.utils.translation import gettext_lazy as _

from seei.accounts.models import Organisation
from seei.alerts.models import WatchProfile
from seei.portal.forms import BuyerChoiceField


class BuyersField(forms.ModelMultipleChoiceField):
    label_from_instance = BuyerChoiceField.label_from_instance  # "Directorate (Ministry)"


class WatchProfileForm(forms.ModelForm):
    """The fields and their own checks; ``seei.alerts.profiles.save_profile`` checks the rest."""

    buyers = BuyersField(
        label=_("Buyers"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.BUYER).select_related("parent"),
        required=False,
        help_text=_("A ministry includes its directorates. None chosen: every buyer."),
    )

    class Meta:
        model = WatchProfile
        fields = [
            "name",
            "keywords",
            "categories",
            "regions",
            "buyers",
            "currency",
            "amount_min",
            "amount_max",
            "frequency",
        ]
        widgets = {
            "categories": forms.SelectMultiple(attrs={"size": 8}),
            "regions": forms.CheckboxSelectMultiple,
            "frequency": forms.RadioSelect,
        }
        help_texts = {
            "categories": _("A category includes its sub-categories. None chosen: every category."),
            "regions": _("None chosen: every region."),
            "amount_min": _("The notice's estimated amount, all lots together, in the currency chosen."),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["buyers"].widget.attrs["size"] = 8
        self.fields["currency"].choices = [("", _("Any currency")), *self.fields["currency"].choices[1:]]

    def _post_clean(self):
        """The model's checks run in ``save_profile``, once, for the page and the API alike."""
