"""The public portal: notices anyone can read, and the company's clarification requests."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.models import Role
from seei.auctions.selectors import live_public_rooms
from seei.core import clock
from seei.core.forms import show_errors
from seei.core.views import flash_refusal
from seei.portal import cache, results, selectors, shared_pages, workspaces
from seei.portal.cards import notice_cards
from seei.portal.forms import ClarificationForm, NoticeSearchForm, ResultsForm, filter_options
from seei.practice import services as practice
from seei.redflags import selectors as redflags
from seei.tenders import services
from seei.tenders.errors import TenderError
from seei.tenders.models import Interest
from seei.tenders.selectors import public_tender


def _is_company_member(request) -> bool:
    return request.membership is not None and request.membership.role == Role.COMPANY_MEMBER


def home(request):
    now = clock.now()
    return render(
        request,
        "portal/home.html",
        {
            "latest": notice_cards(selectors.latest_notices(10), now),
            "closing_soon": notice_cards(selectors.closing_soon(now), now),
            "closing_soon_days": settings.SEEI_CLOSING_SOON_DAYS,
            "closing_soon_until": (now + timedelta(days=settings.SEEI_CLOSING_SOON_DAYS)).date().isoformat(),
            "live": live_public_rooms() + practice.listed(),  # the public practice auction, at least
        },
    )


def _filters(form, request, now) -> str:
    """The search form's filters, the words searched apart: most searches have the same ones."""

    def render():
        fields = (form[name] for name in form.fields if name != "q")
        return mark_safe(
            "".join(render_to_string("includes/field.html", {"field": field}) for field in fields)
        )

    if form.errors:  # shown with the visitor's own input: not worth keeping
        return render()
    values = [
        (name, request.GET.getlist(name)) for name in form.fields if name != "q" and name in request.GET
    ]
    return cache.remember("search-filters", (get_language(), form.is_bound, values), now, render)


def tender_list(request):
    return shared_pages.page(request, "search-whole", lambda: _tender_list(request))


def _tender_list(request):
    now = clock.now()
    form = NoticeSearchForm(request.GET or None)
    criteria = form.criteria() if form.is_bound else {}

    def content():
        page = selectors.search_page(criteria, request.GET.get("page"), now)
        page.object_list = notice_cards(page.object_list, now)
        form.use_options(cache.remember("search-options", (get_language(),), now, filter_options))
        # Rendered without the context processors: no user, no CSRF token can reach the cache.
        context = {
            "form": form,
            "filters": _filters(form, request, now),
            "page_obj": page,
            "filtered": bool(criteria),
            "request": request,
        }
        return render_to_string("portal/search_results.html", context)

    if form.errors:  # shown with the visitor's own input: not worth keeping
        html = content()
    else:
        parts = (get_language(), sorted(request.GET.lists()))
        html = cache.remember("search-page", parts, now, content)
    return render(request, "portal/tender_list.html", {"content": html})


def results_list(request):
    """Awarded and unsuccessful lots with their savings, for anyone; the content is cached as the search's."""
    return shared_pages.page(request, "results-whole", lambda: _results_list(request))


def _results_list(request):
    now = clock.now()
    form = ResultsForm(request.GET or None)
    criteria = form.criteria() if form.is_bound else {}

    def content():
        page = results.results_page(criteria, request.GET.get("page"))
        form.use_options(cache.remember("search-options", (get_language(),), now, filter_options))
        context = {"form": form, "page_obj": page, "filtered": bool(criteria), "request": request}
        return render_to_string("portal/results_content.html", context)

    if form.errors:
        html = content()
    else:
        html = cache.remember("results-page", (get_language(), sorted(request.GET.lists())), now, content)
    return render(request, "portal/results.html", {"content": html})


def _public_notice(pk, now) -> dict:
    """The notice's pages as every visitor sees them, rendered without any user or CSRF token."""
    tender = public_tender(pk)
    errata = selectors.errata_history(tender)
    context = {
        "tender": tender,
        "public_status": selectors.public_status(tender, now),
        "errata": errata,
        "lots": [(lot, selectors.auction_rules(lot)) for lot in tender.lots.all()],
        "documents": selectors.documents(tender),
        "clarifications": selectors.published_clarifications(tender),
    }
    return {
        "title": f"{tender.reference} — {tender.title}",
        "deadline": tender.application_deadline,
        "cancelled": tender.status == tender.Status.CANCELLED,
        "summary": render_to_string("portal/notice_summary.html", context),
        "details": render_to_string("portal/notice_details.html", context),
        "clarifications": render_to_string("portal/notice_clarifications.html", context),
        "red_flags": render_to_string(
            "redflags/_flags.html", {"flags": redflags.flags_of(tender), "show_lot": True}
        ),
    }


def _detail_context(request, pk, clarification_form=None) -> dict:
    now = clock.now()
    parts = (get_language(), pk, redflags.thresholds_digest())
    notice = cache.remember("notice", parts, now, lambda: _public_notice(pk, now), notice=pk)
    company_member = _is_company_member(request)
    deadline_open = now < notice["deadline"] and not notice.get("cancelled")
    return {
        "pk": pk,
        "notice": notice,
        "deadline_open": deadline_open,
        "can_ask": company_member and deadline_open,
        "clarification_form": clarification_form or ClarificationForm(),
        "pending_questions": (
            selectors.pending_questions(pk, request.membership.organisation) if company_member else []
        ),
    }


def tender_detail(request, pk):
    return shared_pages.page(
        request,
        "notice-whole",
        lambda: render(request, "portal/tender_detail.html", _detail_context(request, pk)),
        parts=(redflags.thresholds_digest(),),
        notice=pk,
    )


def document_download(request, pk, document_pk):
    tender = public_tender(pk)
    document = get_object_or_404(tender.documents, pk=document_pk)
    if _is_company_member(request):
        services.record_interest(tender, request.membership.organisation, Interest.Kind.DOWNLOAD)
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )


@require_POST
@login_required
def ask(request, pk):
    tender = public_tender(pk)
    if not _is_company_member(request):
        return render(
            request,
            "portal/forbidden.html",
            {
                "message": _(
                    "Only a company member can ask for a clarification. Switch to your company role, "
                    "or register your company."
                ),
                "back": tender,
            },
            status=403,
        )
    form = ClarificationForm(request.POST)
    if form.is_valid():
        try:
            services.ask_clarification(request.membership, tender, form.cleaned_data["question"])
        except TenderError as error:
            if not hasattr(error, "error_dict"):
                # A rule of the procedure (e.g. the deadline passed): nothing to correct in the form.
                flash_refusal(request, error)
                return redirect("portal:tender", pk=tender.pk)
            show_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your question was sent to the buyer. Its answer will be published on this page "
                    "for everyone, without your company's name."
                ),
            )
            return redirect("portal:tender", pk=tender.pk)
    return render(request, "portal/tender_detail.html", _detail_context(request, tender.pk, form))


@login_required
def dashboard(request):
    """The first page after login: the person's workspace in its current role."""
    found = workspaces.workspace(request.membership, clock.now())
    if found is None:
        return redirect("portal:home")
    template, context = found
    return render(request, template, context)
