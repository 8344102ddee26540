"""The public portal: notices anyone can read, and the company's clarification requests."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.models import Role
from seei.core import clock
from seei.core.forms import show_errors
from seei.core.views import flash_refusal
from seei.portal import selectors
from seei.portal.forms import ClarificationForm, NoticeSearchForm
from seei.tenders import services
from seei.tenders.errors import TenderError
from seei.tenders.models import Interest
from seei.tenders.selectors import public_tender


def _is_company_member(request) -> bool:
    return request.membership is not None and request.membership.role == Role.COMPANY_MEMBER


def _with_status(tenders, now):
    tenders = list(tenders)
    for tender in tenders:
        tender.public_status = selectors.public_status(tender, now)
    return tenders


def home(request):
    now = clock.now()
    return render(
        request,
        "portal/home.html",
        {
            "latest": _with_status(selectors.latest_notices(10), now),
            "closing_soon": _with_status(selectors.closing_soon(now), now),
            "closing_soon_days": settings.SEEI_CLOSING_SOON_DAYS,
            "closing_soon_until": (now + timedelta(days=settings.SEEI_CLOSING_SOON_DAYS)).date().isoformat(),
        },
    )


def tender_list(request):
    now = clock.now()
    form = NoticeSearchForm(request.GET or None)
    criteria = form.criteria() if form.is_bound else {}
    paginator = Paginator(selectors.search_notices(criteria, now), settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _with_status(page.object_list, now)
    return render(
        request, "portal/tender_list.html", {"form": form, "page_obj": page, "filtered": bool(criteria)}
    )


def _detail_context(request, tender, clarification_form=None) -> dict:
    now = clock.now()
    company_member = _is_company_member(request)
    deadline_open = now < tender.application_deadline
    return {
        "tender": tender,
        "lots": [(lot, selectors.auction_rules(lot)) for lot in tender.lots.all()],
        "documents": selectors.documents(tender),
        "errata": selectors.errata_history(tender),
        "clarifications": selectors.published_clarifications(tender),
        "deadline_open": deadline_open,
        "public_status": selectors.public_status(tender, now),
        "can_ask": company_member and deadline_open,
        "clarification_form": clarification_form or ClarificationForm(),
        "pending_questions": (
            selectors.pending_questions(tender, request.membership.organisation) if company_member else []
        ),
    }


def tender_detail(request, pk):
    tender = public_tender(pk)
    return render(request, "portal/tender_detail.html", _detail_context(request, tender))


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
    return render(request, "portal/tender_detail.html", _detail_context(request, tender, form))


@login_required
def dashboard(request):
    membership = request.membership
    role = membership.role if membership else None
    if role == Role.BUYER_AGENT:
        return redirect("tenders:list")
    if role == Role.COMPANY_MEMBER:
        now = clock.now()
        return render(
            request,
            "portal/company_dashboard.html",
            {
                "questions": selectors.company_questions(membership.organisation)[:50],
                "notices": _with_status(selectors.notices_for_company(membership.organisation), now),
                "has_subscriptions": membership.organisation.subscriptions.exists(),
            },
        )
    # Commission members and accountants get their own pages in later issues.
    if role == Role.ACCOUNTANT:
        return redirect("awards:accountant")
    if role == Role.COMMISSION_MEMBER:
        return redirect("applications:commission_list")
    return redirect("portal:home")
