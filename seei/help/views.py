"""The help centre: its index, one page per guide, and the contact page of the help desk."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from seei.help import guides, services
from seei.help.forms import ContactForm


def help_desk() -> dict:
    return {
        "phone": settings.SEEI_HELPDESK_PHONE,
        "address": settings.SEEI_HELPDESK_ADDRESS,
        "email": settings.SEEI_HELPDESK_EMAIL,
    }


def index(request):
    sections = [(label, guides.of_audience(audience)) for audience, label in guides.AUDIENCES.items()]
    context = {"sections": sections, "desk": help_desk(), "procedure": guides.procedure()}
    return render(request, "help/index.html", context)


def guide(request, slug):
    chosen = guides.BY_SLUG.get(slug)
    if chosen is None:
        raise Http404(_("There is no such guide."))
    previous, following = guides.neighbours(chosen)
    context = {
        "guide": chosen,
        "audience": guides.AUDIENCES[chosen.audience],
        "text": select_template(chosen.template_names(get_language())),
        "steps": guides.of_audience(chosen.audience),
        "previous": previous,
        "next": following,
        "procedure": guides.procedure(),
    }
    return render(request, "help/guide.html", context)


def contact(request):
    form = ContactForm.for_user(request.user, request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.is_valid():
        if not request.session.session_key:
            request.session.save()  # an anonymous sender's session: what its rate limit counts
        try:
            services.submit(
                **form.cleaned_data,
                sender=services.sender_key(request.user, request.session.session_key),
                user=request.user,
                language=get_language(),
            )
        except services.TooManyRequests as refusal:
            form.add_error(None, refusal)
            status = 429
        else:
            messages.success(
                request, _("Your message was sent to the help desk; it will answer you by email.")
            )
            return redirect("help:contact")
    if form.is_bound and form.errors and status == 200:
        status = 400
    return render(request, "help/contact.html", {"form": form, "desk": help_desk()}, status=status)
