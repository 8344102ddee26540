"""The administrators' page of the audit log: filter by person, action and dates; paginated."""

from datetime import datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.core import audit
from seei.core.sealed_admin import event_revealed

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=_("Person (email)"), max_length=audit.MAX_EMAIL, required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions"))] + [(a, a) for a in audit.actions()]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def selection(self) -> dict:
        data = self.cleaned_data if self.is_bound else {}
        since, until = data.get("since"), data.get("until")
        return {
            "person": (data.get("person") or "").strip(),
            "action": data.get("action") or "",
            # Whole days of the site's time zone, the last one included.
            "since": _start_of(since) if since else None,
            "until": _start_of(until + timedelta(days=1)) if until else None,
        }


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@role_required(Role.ADMINISTRATOR)
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "audit/log.html", {"form": form, "page": None}, status=400)
    page = Paginator(audit.events(**form.selection()), PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.sealed = not event_revealed(event)  # the admin's rule, the same on this page
    return render(request, "audit/log.html", {"form": form, "page": page})
