"""The buyer agent's everyday actions on its notices: delete a draft or one of its documents,
preview a draft, cancel a published notice, enter exchange rates, copy a notice, relaunch an
unsuccessful lot, amend lots and items by erratum. Thin: the rules are in the modules they call."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seei.core import clock
from seei.core.forms import show_errors
from seei.core.views import flash_refusal
from seei.portal import selectors as portal
from seei.tenders import cancellation, copying, drafts, rates, selectors
from seei.tenders.forms import CancelForm, RatesForm, ReferenceForm
from seei.tenders.models import Lot, Tender, TenderDocument
from seei.tenders.views import buyer_only


@buyer_only
def delete(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    if request.method == "POST":
        try:
            drafts.delete_draft(request.membership, tender)
        except ValidationError as error:
            flash_refusal(request, error)
            return redirect("tenders:manage", tender.pk)
        messages.success(
            request, _("The draft notice %(reference)s was deleted.") % {"reference": tender.reference}
        )
        return redirect("tenders:list")
    if tender.status != Tender.Status.DRAFT:
        messages.error(request, _("Only a draft can be deleted; a published notice can be cancelled."))
        return redirect("tenders:manage", tender.pk)
    return render(request, "tenders/delete_confirm.html", {"tender": tender})


@buyer_only
@require_POST
def document_remove(request, pk, document_pk):
    tender = selectors.buyer_tender(request.membership, pk)
    document = get_object_or_404(TenderDocument, pk=document_pk, tender=tender)
    try:
        drafts.remove_document(request.membership, document)
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        messages.success(request, _("The document was removed."))
    return redirect("tenders:manage", tender.pk)


@never_cache
@buyer_only
def preview(request, pk):
    """The draft's public page as the portal will render it, never cached, for its buyer only."""
    own = selectors.buyer_tender(request.membership, pk)
    if own.status != Tender.Status.DRAFT or own.practice:
        return redirect("tenders:manage", own.pk)  # a published notice has its real public page
    tender = (
        Tender.objects.select_related("buyer", "category", "region")
        .prefetch_related(
            Prefetch("lots", queryset=Lot.objects.order_by("number")),
            "lots__items",
            Prefetch("documents", queryset=TenderDocument.objects.select_related("erratum", "withdrawn_by")),
            "errata",
        )
        .get(pk=pk)
    )
    context = {
        "tender": tender,
        "public_status": portal.public_status(tender, clock.now()),
        "errata": portal.errata_history(tender),
        "lots": [(lot, portal.auction_rules(lot)) for lot in tender.lots.all()],
        "documents": portal.documents(tender),
        "clarifications": [],
    }
    return render(
        request,
        "tenders/preview.html",
        {
            "tender": tender,
            "summary": render_to_string("portal/notice_summary.html", context),
            "details": render_to_string("portal/notice_details.html", context),
        },
    )


@buyer_only
def cancel(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancellation.cancel(request.membership, tender, form.cleaned_data["reason"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("The notice is cancelled and the companies that followed it are told.")
            )
            return redirect("tenders:manage", tender.pk)
    refusal = cancellation.refusal(tender)
    return render(request, "tenders/cancel.html", {"tender": tender, "form": form, "refusal": refusal})


@buyer_only
def exchange_rates(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    form = RatesForm(request.POST or None, tender=tender)
    if request.method == "POST" and form.is_valid():
        try:
            rates.set_exchange_rates(request.membership, tender, form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The exchange rates are recorded."))
            return redirect("tenders:manage", tender.pk)
    return render(request, "tenders/rates.html", {"tender": tender, "form": form})


def _new_draft(request, source, make, template_context):
    form = ReferenceForm(request.POST or None, initial={"reference": copying.suggested_reference(source)})
    if request.method == "POST" and form.is_valid():
        try:
            tender = make(form.cleaned_data["reference"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The new draft notice is ready: check its dates, then publish it."))
            return redirect("tenders:manage", tender.pk)
    return render(request, "tenders/new_from.html", {"form": form, "source": source, **template_context})


@buyer_only
def copy(request, pk):
    source = selectors.buyer_tender(request.membership, pk)
    return _new_draft(
        request,
        source,
        lambda reference: copying.copy_tender(request.membership, source, reference),
        {"heading": _("Copy the notice as a new draft")},
    )


@buyer_only
def relaunch(request, pk, lot_pk):
    source = selectors.buyer_tender(request.membership, pk)
    lot = get_object_or_404(Lot, pk=lot_pk, tender=source)
    return _new_draft(
        request,
        source,
        lambda reference: copying.relaunch_lot(request.membership, lot, reference),
        {"heading": _("Relaunch lot %(number)s as a new notice") % {"number": lot.number}, "lot": lot},
    )
