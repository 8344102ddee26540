"""Form pieces shared by the apps."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from seei.core.translated import LANGS, Translated

LANG_LABELS = {"fr": _("French"), "ar": _("Arabic"), "en": _("English")}


class TranslatedWidget(forms.MultiWidget):
    template_name = "widgets/translated.html"

    def __init__(self, textarea=False, attrs=None):
        base = forms.Textarea(attrs={"rows": 3}) if textarea else forms.TextInput()
        widgets = {}
        for code in LANGS:
            widget = type(base)(attrs={**base.attrs, "lang": code, "dir": "rtl" if code == "ar" else "ltr"})
            widgets[code] = widget
        super().__init__(widgets, attrs)

    def decompress(self, value):
        value = value or {}
        return [value.get(code, "") for code in LANGS]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for code, sub in zip(LANGS, context["widget"]["subwidgets"], strict=True):
            sub["lang_label"] = LANG_LABELS[code]
        return context


class TranslatedFormField(forms.MultiValueField):
    """Three texts (French, Arabic, English); the form checks the original one is given."""

    def __init__(self, textarea=False, max_length=None, **kwargs):
        fields = [forms.CharField(required=False, max_length=max_length) for _ in LANGS]
        kwargs.setdefault("widget", TranslatedWidget(textarea=textarea))
        super().__init__(fields, require_all_fields=False, **kwargs)

    def compress(self, values):
        values = values or [""] * len(LANGS)
        return Translated({code: (text or "").strip() for code, text in zip(LANGS, values, strict=True)})


def finish_translations(form, original_field: str, names: list[str], required: tuple[str, ...] = ()):
    """Stamp each translated value with the original language, which must be filled in."""
    original = form.cleaned_data.get(original_field) or "fr"
    for name in names:
        value = form.cleaned_data.get(name)
        if value is None:
            continue
        value["orig"] = original
        if name in required and not value.get(original):
            form.add_error(
                name,
                _("Give this text in the original language (%(lang)s).") % {"lang": LANG_LABELS[original]},
            )


def show_errors(form, error: ValidationError):
    """Show a service's refusal on the form: on the fields it names that the form has, the rest
    at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
