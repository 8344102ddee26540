"""Pages of phase 1 for the company, the buyer and the commission.

Thin: every view checks the role (``role_required``), lets ``selectors`` decide what the
organisation may see (the seal), and lets ``services`` apply the rules.
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.applications import selectors, services, session
from seei.applications.forms import (
    ApplicationForm,
    ApprovalForm,
    CommissionForm,
    DecisionForm,
    DeclarationForm,
    DocumentRequestForm,
    SupplyForm,
)
from seei.applications.models import Application
from seei.applications.receipts import receipt_pdf as build_receipt_pdf
from seei.core import clock
from seei.core.forms import show_errors
from seei.core.views import explained, flash_refusal, private_file
from seei.tenders import selectors as tender_selectors
from seei.tenders.models import Tender


def _for(*roles):
    def decorator(view):
        return explained(role_required(*roles)(view))

    return decorator


company_only = _for(Role.COMPANY_MEMBER)
buyer_only = _for(Role.BUYER_AGENT)
commission_only = _for(Role.COMMISSION_MEMBER)


# The company ------------------------------------------------------------------------------------------


@company_only
def mine(request):
    return render(
        request,
        "applications/mine.html",
        {
            "entries": selectors.company_applications(request.membership),
            "invitations": selectors.company_invitations(request.membership),
        },
    )


@company_only
def apply(request, pk):
    tender = tender_selectors.public_tender(pk)
    membership = request.membership
    application = selectors.own_application(membership, tender)
    active = application is not None and application.status == Application.Status.SUBMITTED
    documents = selectors.current_documents(application) if active else []
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        tender=tender,
        documents=documents,
        initial={"lots": list(application.lots.all()) if active else []},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if active:
                receipt = services.change(
                    membership,
                    tender,
                    lots=data["lots"],
                    documents=form.new_documents(),
                    remove=data.get("remove") or [],
                    declaration=data["declaration"],
                )
            else:
                receipt = services.apply(
                    membership,
                    tender,
                    lots=data["lots"],
                    documents=form.new_documents(),
                    declaration=data["declaration"],
                )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Your application was recorded. Keep this receipt."))
            return redirect("applications:receipt", receipt.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "applications/apply.html",
        {
            "tender": tender,
            "form": form,
            "application": application,
            "active": active,
            "documents": documents,
            "deadline_open": clock.now() < tender.application_deadline,
            "document_requests": selectors.document_requests(application) if active else [],
        },
        status=status,
    )


@company_only
@require_POST
def withdraw(request, pk):
    tender = tender_selectors.public_tender(pk)
    try:
        receipt = services.withdraw(request.membership, tender)
    except ValidationError as error:
        flash_refusal(request, error)
        return redirect("applications:apply", tender.pk)
    messages.success(request, _("Your application was withdrawn. Keep this receipt."))
    return redirect("applications:receipt", receipt.pk)


@company_only
def supply(request, pk):
    """The company uploads a document the commission asked for, through its application."""
    document_request = selectors.own_request(request.membership, pk)
    form = SupplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            receipt = session.supply_document(request.membership, document_request, form.cleaned_data["file"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The document was sent to the commission. Keep this receipt."))
            return redirect("applications:receipt", receipt.pk)
    return render(
        request,
        "applications/supply.html",
        {
            "document_request": document_request,
            "tender": document_request.application.tender,
            "form": form,
            "open": clock.now() <= document_request.deadline,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@company_only
def own_document(request, pk):
    document = selectors.own_document(request.membership, pk)
    return private_file(*services.open_document(request.membership, document))


@company_only
def receipt(request, pk):
    receipt = selectors.own_receipt(request.membership, pk)
    names = selectors.receipt_document_names(receipt)
    documents = [{**d, "name": names.get(d["id"], "")} for d in receipt.content.get("documents", [])]
    return render(
        request,
        "applications/receipt.html",
        {
            "receipt": receipt,
            "content": receipt.content,
            "documents": documents,
            "as_json": json.dumps(receipt.content, indent=2, sort_keys=True, ensure_ascii=False),
        },
    )


@company_only
def receipt_pdf(request, pk):
    receipt = selectors.own_receipt(request.membership, pk)
    data = build_receipt_pdf(receipt, selectors.receipt_document_names(receipt), get_language() or "fr")
    name = f"receipt-{receipt.content['tender']['reference']}-{receipt.number}.pdf"
    return private_file(name, "application/pdf", data)


# The buyer ------------------------------------------------------------------------------------------------


@buyer_only
def commission(request, pk):
    tender = tender_selectors.buyer_tender(request.membership, pk)
    candidates = selectors.commission_candidates(request.membership)
    current = list(selectors.commission_of(tender))
    president = next((m.membership for m in current if m.is_president), None)
    form = CommissionForm(
        request.POST or None,
        candidates=candidates,
        initial={"members": [m.membership for m in current], "president": president},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.name_commission(
                request.membership, tender, form.cleaned_data["members"], form.cleaned_data["president"]
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The commission was named."))
            return redirect("applications:commission", tender.pk)
    examination = selectors.examination_of(tender)
    return render(
        request,
        "applications/commission.html",
        {
            "tender": tender,
            "form": form,
            "members": current,
            "count": selectors.application_count(request.membership, tender),
            "examination": examination,
            "lots": tender.lots.order_by("number"),
            "minutes": tender.minutes.filter(kind="admission").first(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# The commission ---------------------------------------------------------------------------------------------


@commission_only
def commission_list(request):
    return render(
        request,
        "applications/commission_list.html",
        {
            "tenders": selectors.commission_tenders(request.membership),
            "now": clock.now(),
        },
    )


@commission_only
def examination(request, pk):
    tender = selectors.commission_tender(request.membership, pk)
    now = clock.now()
    context = {
        "tender": tender,
        "now": now,
        "deadline_passed": now >= tender.application_deadline,
        "examination": None,
        "entries": [],
        "lots": tender.lots.order_by("number"),
    }
    state = selectors.session_of(request.membership, tender)
    context.update(session=state, declaration_form=DeclarationForm())
    exam = selectors.examination_of(tender) if context["deadline_passed"] else None
    if exam is not None:
        entries = selectors.examination_applications(request.membership, tender)
        for entry in entries:
            open_lots = [lot for lot in entry.lots if lot.status == lot.Status.EXAMINATION]
            # The form starts from this member's own votes; the decisions are the commission's.
            entry.form = DecisionForm(
                prefix=f"a{entry.application.pk}",
                lots=open_lots,
                decisions=selectors.my_votes(state.seat, entry.application),
            )
            counts = selectors.vote_counts(entry.application)
            for lot in entry.lots:
                lot.vote_counts = counts.get(lot.pk)
            entry.requests = selectors.document_requests(entry.application)
            entry.request_form = DocumentRequestForm(prefix=f"r{entry.application.pk}")
        approvals = selectors.approvals_of(exam)
        context.update(
            examination=exam,
            entries=entries,
            missing=len(services.missing_decisions(tender)),
            minutes=tender.minutes.filter(kind="admission").first(),
            approvals=approvals,
            approved=any(a.member_id == state.seat.pk for a in approvals),
            approval_form=ApprovalForm(),
        )
    return render(request, "applications/examination.html", context)


def _session_step(request, pk, step, success: str):
    """Open or close the session: the service's refusal or ``success`` shown on the examination page."""
    tender = selectors.commission_tender(request.membership, pk)
    try:
        step(request.membership, tender)
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, success)
    return redirect("applications:examination", tender.pk)


@commission_only
@require_POST
def open_examination(request, pk):
    return _session_step(request, pk, services.open_examination, _("The applications are open."))


@commission_only
@require_POST
def decide(request, pk, application_pk):
    tender = selectors.commission_tender(request.membership, pk)
    application = selectors.examined_application(request.membership, tender, application_pk)
    lots = [lot for lot in application.lots.order_by("number") if lot.status == lot.Status.EXAMINATION]
    form = DecisionForm(request.POST, prefix=f"a{application.pk}", lots=lots, decisions={})
    if form.is_valid():
        try:
            services.decide(request.membership, application, form.decisions())
        except ValidationError as error:
            flash_refusal(request, error, about=application.company.name)
        else:
            messages.success(
                request, _("Decision recorded for %(company)s.") % {"company": application.company}
            )
    return redirect(reverse("applications:examination", args=[tender.pk]) + f"#application-{application.pk}")


@commission_only
@require_POST
def close_examination(request, pk):
    return _session_step(
        request,
        pk,
        services.close_examination,
        _("The session is closed; the minutes are written and the companies notified."),
    )


@commission_only
@require_POST
def declare(request, pk):
    tender = selectors.commission_tender(request.membership, pk)
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("applications:examination", tender.pk)
    try:
        session.declare_interests(
            request.membership,
            tender,
            conflict=form.cleaned_data["conflict"],
            statement=form.cleaned_data["statement"],
        )
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Your declaration is recorded."))
    return redirect("applications:examination", tender.pk)


@commission_only
@require_POST
def request_document(request, pk, application_pk):
    tender = selectors.commission_tender(request.membership, pk)
    application = selectors.examined_application(request.membership, tender, application_pk)
    form = DocumentRequestForm(request.POST, prefix=f"r{application.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, f"{application.company.name}: {message}")
    else:
        try:
            session.request_document(
                request.membership,
                application,
                form.cleaned_data["description"],
                form.cleaned_data["deadline"],
            )
        except ValidationError as error:
            flash_refusal(request, error, about=application.company.name)
        else:
            messages.success(
                request, _("The document is requested from %(company)s.") % {"company": application.company}
            )
    return redirect(reverse("applications:examination", args=[tender.pk]) + f"#application-{application.pk}")


@commission_only
@require_POST
def approve(request, pk):
    tender = selectors.commission_tender(request.membership, pk)
    form = ApprovalForm(request.POST)
    form.is_valid()  # a free text: always valid
    try:
        session.approve_minutes(request.membership, tender, form.cleaned_data.get("reservation", ""))
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("Your approval of the minutes is recorded; the minutes show it."))
    return redirect("applications:examination", tender.pk)


@commission_only
def sealed_document(request, pk, document_pk):
    tender = selectors.commission_tender(request.membership, pk)
    document = selectors.examination_document(request.membership, tender, document_pk)
    return private_file(*services.open_document(request.membership, document))


# The commission and the buyer ---------------------------------------------------------------------------------


@_for(Role.COMMISSION_MEMBER, Role.BUYER_AGENT)
def minutes(request, pk):
    tender = Tender.objects.filter(pk=pk).first()
    if tender is None:
        raise Http404(_("This notice does not exist."))
    minutes = selectors.admission_minutes(request.membership, tender)
    with minutes.file.open("rb") as handle:
        data = handle.read()
    return private_file(f"admission-minutes-{tender.reference}.pdf", "application/pdf", data)
