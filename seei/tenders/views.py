"""The buyer's back office for notices. Thin: permissions through selectors, changes through services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.core.forms import show_errors
from seei.core.views import flash_refusal
from seei.tenders import selectors, services
from seei.tenders.forms import (
    AnswerForm,
    DocumentForm,
    ErratumForm,
    ItemErratumForm,
    ItemFormSet,
    LotErratumForm,
    LotForm,
    TenderForm,
)
from seei.tenders.models import Clarification, Lot

buyer_only = role_required(Role.BUYER_AGENT)


@buyer_only
def tender_list(request):
    tenders = selectors.buyer_tenders(request.membership).prefetch_related("lots")
    return render(request, "tenders/list.html", {"tenders": tenders})


@buyer_only
def tender_create(request):
    form = TenderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tender = services.create_tender(request.membership, form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("The draft notice was created. Add its lots and documents, then publish it.")
            )
            return redirect("tenders:manage", tender.pk)
    return render(request, "tenders/form.html", {"form": form, "heading": _("New notice")})


@buyer_only
def tender_edit(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    if not tender.status == tender.Status.DRAFT:
        messages.error(request, _("A published notice can only be changed by an erratum."))
        return redirect("tenders:manage", tender.pk)
    form = TenderForm(request.POST or None, instance=tender)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_draft(request.membership, tender, form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            return redirect("tenders:manage", tender.pk)
    return render(
        request, "tenders/form.html", {"form": form, "tender": tender, "heading": _("Edit the notice")}
    )


@buyer_only
def tender_manage(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    lots = tender.lots.prefetch_related("items")
    return render(
        request,
        "tenders/manage.html",
        {
            "tender": tender,
            "lots": lots,
            "documents": tender.documents.all(),
            "pending": tender.clarifications.filter(answered_at=None).count(),
        },
    )


def _item_values(formset, original_language):
    items = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        for field in ("designation", "specification"):
            data[field]["orig"] = original_language
        items.append({k: data[k] for k in services.ITEM_FIELDS})
    return items


@buyer_only
def lot_edit(request, pk, lot_pk=None):
    tender = selectors.buyer_tender(request.membership, pk)
    lot = get_object_or_404(Lot, pk=lot_pk, tender=tender) if lot_pk else None
    if not tender.status == tender.Status.DRAFT:
        messages.error(request, _("A published notice can only be changed by an erratum."))
        return redirect("tenders:manage", tender.pk)
    form = LotForm(request.POST or None, instance=lot, original_language=tender.original_language)
    formset = ItemFormSet(request.POST or None, instance=lot or Lot(tender=tender), prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.save_lot(
                request.membership,
                tender,
                form.cleaned_data,
                _item_values(formset, tender.original_language),
                lot=lot,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The lot was saved."))
            return redirect("tenders:manage", tender.pk)
    return render(
        request, "tenders/lot_form.html", {"form": form, "formset": formset, "tender": tender, "lot": lot}
    )


@buyer_only
@require_POST
def lot_delete(request, pk, lot_pk):
    tender = selectors.buyer_tender(request.membership, pk)
    try:
        services.delete_lot(request.membership, get_object_or_404(Lot, pk=lot_pk, tender=tender))
    except ValidationError as error:
        flash_refusal(request, error)
    return redirect("tenders:manage", tender.pk)


@buyer_only
def document_add(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_document(
                request.membership, tender, form.cleaned_data["file"], form.cleaned_data["title"]
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The document was added."))
            return redirect("tenders:manage", tender.pk)
    return render(request, "tenders/document_form.html", {"form": form, "tender": tender})


@buyer_only
@require_POST
def publish(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    try:
        services.publish(request.membership, tender)
    except ValidationError as error:
        flash_refusal(request, error)
    else:
        if tender.practice:
            messages.success(
                request, _("The practice notice is published: only you and the simulated companies see it.")
            )
        else:
            messages.success(request, _("The notice is published on the portal."))
    return redirect("tenders:manage", tender.pk)


def _erratum_forms(request, tender):
    """One form per lot and per item of the notice, prefilled with its current values."""

    def data(prefix):  # a form left out of the request (an older page, a script) changes nothing
        post = request.POST if request.method == "POST" else {}
        return post if any(key.startswith(f"{prefix}-") for key in post) else None

    lots = []
    for lot in tender.lots.prefetch_related("items"):
        lot_form = LotErratumForm(
            data(f"lot{lot.pk}"),
            instance=lot,
            prefix=f"lot{lot.pk}",
            original_language=tender.original_language,
        )
        item_forms = [
            (
                item,
                ItemErratumForm(
                    data(f"item{item.pk}"),
                    instance=item,
                    prefix=f"item{item.pk}",
                    original_language=tender.original_language,
                ),
            )
            for item in lot.items.all()
        ]
        lots.append((lot, lot_form, item_forms))
    return lots


def _show_nested_errors(error, form, lots):
    """The service names a lot's or an item's field "lots.<id>.<field>", "items.<id>.<field>"."""
    forms_by_prefix = {}
    for lot, lot_form, item_forms in lots:
        forms_by_prefix[f"lots.{lot.pk}."] = lot_form
        for item, item_form in item_forms:
            forms_by_prefix[f"items.{item.pk}."] = item_form
    if hasattr(error, "error_dict"):
        rest = {}
        for name, errors in error.error_dict.items():
            target = next((p for p in forms_by_prefix if name.startswith(p)), None)
            field = name[len(target) :] if target else None
            if target and field in forms_by_prefix[target].fields:
                forms_by_prefix[target].add_error(field, errors)
            else:
                rest[name] = errors
        if rest:
            show_errors(form, ValidationError(rest))
    else:
        show_errors(form, error)


@buyer_only
def erratum(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    form = ErratumForm(request.POST or None, request.FILES or None, instance=tender)
    lots = _erratum_forms(request, tender)
    bound = [
        f
        for _lot, lot_form, item_forms in lots
        for f in [lot_form, *(f for _i, f in item_forms)]
        if f.is_bound
    ]
    nested_valid = all([f.is_valid() for f in bound])  # a list: every form shows its errors
    if request.method == "POST" and form.is_valid() and nested_valid:
        data = form.cleaned_data
        values = {field: data[field] for field in ErratumForm.Meta.fields}
        documents = [(data["document_title"], data["document"])] if data.get("document") else []
        lot_values = {
            lot: {f: lot_form.cleaned_data[f] for f in services.LOT_FIELDS}
            for lot, lot_form, _items in lots
            if lot_form.is_bound
        }
        item_values = {
            item: {f: item_form.cleaned_data[f] for f in services.ITEM_FIELDS}
            for _lot, _form, item_forms in lots
            for item, item_form in item_forms
            if item_form.is_bound
        }
        try:
            services.publish_erratum(
                request.membership,
                tender,
                data["reason"],
                tender_values=values,
                lot_values=lot_values,
                item_values=item_values,
                new_documents=documents,
                withdrawn_documents=list(data.get("withdraw") or []),
            )
        except ValidationError as error:
            tender.refresh_from_db()
            _show_nested_errors(error, form, lots)
        else:
            messages.success(
                request, _("The erratum is published and the interested companies are notified.")
            )
            return redirect("tenders:manage", tender.pk)
    return render(request, "tenders/erratum_form.html", {"form": form, "tender": tender, "lots": lots})


@buyer_only
def clarifications(request, pk):
    tender = selectors.buyer_tender(request.membership, pk)
    items = [
        (c, AnswerForm(initial={"published_question": c.question}, prefix=f"q{c.pk}"))
        for c in tender.clarifications.all()
    ]
    return render(request, "tenders/clarifications.html", {"tender": tender, "items": items})


@buyer_only
@require_POST
def answer(request, pk):
    clarification = get_object_or_404(Clarification, pk=pk)
    tender = selectors.buyer_tender(request.membership, clarification.tender_id)
    form = AnswerForm(request.POST, prefix=f"q{clarification.pk}")
    if form.is_valid():
        try:
            services.answer_clarification(
                request.membership,
                clarification,
                form.cleaned_data["answer"],
                form.cleaned_data["published_question"],
            )
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            messages.success(
                request, _("The answer is published on the notice, without the asker's identity.")
            )
    else:
        messages.error(request, _("Write the answer and the question as it will be published."))
    return redirect("tenders:clarifications", tender.pk)
