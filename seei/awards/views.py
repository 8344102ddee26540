"""Pages of the award: the buyer's, the commission's and the candidate's award page, the public
result of a lot, and the accountant's workspace.

Thin: ``selectors`` decide who sees what (identities only once final, the accountant's
perimeter), ``services`` apply the rules; a refusal is shown with its reason and changes nothing.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.auctions import selectors as auction_selectors
from seei.awards import selectors, services
from seei.awards.forms import ConfirmForm, DocumentsForm, FailForm, PaymentForm, VisaForm
from seei.awards.models import Award, AwardStep
from seei.core import clock


def explained(view):
    """A refusal (PermissionDenied) is a 403 page that says why, in the visitor's language."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as refusal:
            message = str(refusal) or _("You are not allowed to see this page.")
            return render(request, "portal/forbidden.html", {"message": message}, status=403)

    return wrapped


def _signed_in(view):
    return explained(login_required(view))


accountant_only = lambda view: explained(role_required(Role.ACCOUNTANT)(view))  # noqa: E731


def _refused(request, award: Award, role: str, key: str, form, error: ValidationError | None):
    """The award page again (400), with the refusal on the form when the page still shows it (the
    candidate's, the commission's), else at the top of the page."""
    award.refresh_from_db()
    context = _detail_context(request, award, role, **{key: form})
    if context.get(key) is not form:
        refusals = error.messages if error is not None else [m for ms in form.errors.values() for m in ms]
        for message in refusals:
            messages.error(request, message)
    elif error is not None:
        _show_errors(form, error)
    return render(request, "awards/detail.html", context, status=400)


def _show_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _file(name: str, content_type: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


# The award page (buyer, commission, candidate) -------------------------------------------------------------


def _detail_context(request, award: Award, role: str, **forms) -> dict:
    step = award.current_step()
    steps = list(selectors.steps_of(award))
    if role == selectors.COMPANY:
        steps = [s for s in steps if s.company_id == request.membership.organisation_id]
    own_step = (
        step
        if role == selectors.COMPANY and step and step.company_id == request.membership.organisation_id
        else None
    )
    waiting = award.status == Award.Status.PROVISIONAL and step is not None
    context = {
        "award": award,
        "lot": award.lot,
        "tender": award.lot.tender,
        "viewer": role,
        "step": step,
        "steps": steps,
        # The buyer sees pseudonyms until the award is final; the commission checks the candidate.
        "show_companies": award.is_final or role == selectors.COMMISSION,
        "ranking": selectors.ranking(award),
        "minutes": selectors.current_minutes(award) if role != selectors.COMPANY or award.is_final else None,
        "visas": list(award.visas.select_related("accountant_post")) if role == selectors.BUYER else [],
        "payments": list(award.payments.all()) if role == selectors.BUYER else [],
        "now": clock.now(),
    }
    if role == selectors.COMMISSION and waiting:
        context["confirm_form"] = forms.get("confirm_form") or ConfirmForm(initial={"rank": step.rank})
        context["fail_form"] = forms.get("fail_form") or FailForm(initial={"rank": step.rank})
        context["can_confirm"] = step.status == AwardStep.Status.SUBMITTED
        context["can_fail"] = (
            step.status == AwardStep.Status.SUBMITTED or clock.now() > step.documents_deadline
        )
    if own_step is not None and waiting and own_step.status == AwardStep.Status.REQUESTED:
        context["documents_form"] = forms.get("documents_form") or DocumentsForm(
            kinds=award.required_documents
        )
    context["own_step"] = own_step
    return context


@_signed_in
def award_list(request):
    membership = request.membership
    if membership is not None and membership.role == Role.ACCOUNTANT:
        return redirect("awards:accountant")
    return render(request, "awards/list.html", {"awards": selectors.awards_for(membership)})


@_signed_in
def detail(request, pk):
    award, role = selectors.award_for(request.membership, pk)
    if role == selectors.ACCOUNTANT:
        return redirect("awards:accountant_award", pk=award.pk)
    return render(request, "awards/detail.html", _detail_context(request, award, role))


@require_POST
@_signed_in
def submit_documents(request, pk):
    award, role = selectors.award_for(request.membership, pk)
    form = DocumentsForm(request.POST, request.FILES, kinds=award.required_documents)
    if not form.is_valid():
        return _refused(request, award, role, "documents_form", form, None)
    try:
        services.submit_documents(request.membership, award, form.files_by_kind())
    except ValidationError as error:
        return _refused(request, award, role, "documents_form", form, error)
    messages.success(request, _("Your documents were submitted; the commission will check them."))
    return redirect("awards:detail", pk=award.pk)


@require_POST
@_signed_in
def confirm(request, pk):
    award, role = selectors.award_for(request.membership, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _refused(request, award, role, "confirm_form", form, None)
    data = form.cleaned_data
    try:
        services.confirm(request.membership, award, data["rank"], data["low_price_note"])
    except ValidationError as error:
        return _refused(request, award, role, "confirm_form", form, error)
    messages.success(request, _("The award is final. Every bidder was told the result."))
    return redirect("awards:detail", pk=award.pk)


@require_POST
@_signed_in
def fail(request, pk):
    award, role = selectors.award_for(request.membership, pk)
    form = FailForm(request.POST)
    if not form.is_valid():
        return _refused(request, award, role, "fail_form", form, None)
    try:
        award = services.fail(
            request.membership, award, form.cleaned_data["rank"], form.cleaned_data["reason"]
        )
    except ValidationError as error:
        return _refused(request, award, role, "fail_form", form, error)
    if award.status == Award.Status.UNSUCCESSFUL:
        messages.success(request, _("The candidate fails. No candidate is left: the lot is unsuccessful."))
    else:
        messages.success(
            request, _("The candidate fails. The next bidder in the ranking is asked for its documents.")
        )
    return redirect("awards:detail", pk=award.pk)


@_signed_in
def document(request, pk, document_pk):
    award, _role = selectors.award_for(request.membership, pk)
    found = selectors.step_document(request.membership, award, document_pk)
    with found.file.open("rb") as handle:
        return _file(found.original_name, found.content_type, handle.read())


@explained
def minutes(request, pk):
    """The latest auction minutes: for the buyer, the commission and the accountant; anyone once final."""
    award = get_object_or_404(Award.objects.select_related("lot__tender"), pk=pk)
    found = selectors.minutes_for(getattr(request, "membership", None), award)
    with found.file.open("rb") as handle:
        name = f"minutes-{award.lot.tender.reference}-lot-{award.lot.number}.pdf"
        return _file(name, "application/pdf", handle.read())


# The public result of a lot ---------------------------------------------------------------------------


def result(request, lot_id):
    lot, award = selectors.public_result(lot_id)
    final = award is not None and award.is_final
    return render(
        request,
        "awards/result.html",
        {
            "lot": lot,
            "tender": lot.tender,
            "award": award,
            "final": final,
            "ranking": selectors.ranking(lot),
            "minutes": selectors.current_minutes(award) if final else None,
            "ledger_url": f"/api/v1/lots/{lot.pk}/ledger",
        },
    )


# The accountant's workspace -------------------------------------------------------------------------------


@accountant_only
def accountant(request):
    awards = list(selectors.accountant_awards(request.membership))
    return render(request, "awards/accountant_list.html", {"awards": awards})


def _accountant_context(request, award: Award, **extra) -> dict:
    return {
        "award": award,
        "lot": award.lot,
        "tender": award.lot.tender,
        "visa": award.visa(),
        "visas": list(award.visas.select_related("decided_by")),
        "payments": list(award.payments.select_related("recorded_by")),
        "minutes": selectors.current_minutes(award),
        "ranking": selectors.ranking(award),
        "steps": list(selectors.steps_of(award)),
        "visa_form": extra.pop("visa_form", None) or VisaForm(),
        "payment_form": extra.pop("payment_form", None)
        or PaymentForm(initial={"paid_on": localtime(clock.now()).date()}),
        **extra,
    }


@accountant_only
def accountant_award(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    return render(request, "awards/accountant_award.html", _accountant_context(request, award))


@accountant_only
def ledger(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    room = selectors.room_of(award)
    document = auction_selectors.ledger_document(room)
    body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    return _file(f"ledger-lot-{award.lot_id}.json", "application/json", body)


@require_POST
@accountant_only
def verify(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    report = services.verify(request.membership, award)
    return render(request, "awards/accountant_award.html", _accountant_context(request, award, report=report))


@require_POST
@accountant_only
def visa(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    form = VisaForm(request.POST)
    if form.is_valid():
        try:
            services.give_visa(
                request.membership, award, form.cleaned_data["decision"], form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("Your decision on the visa is recorded; the buyer was told."))
            return redirect("awards:accountant_award", pk=award.pk)
    return render(
        request,
        "awards/accountant_award.html",
        _accountant_context(request, award, visa_form=form),
        status=400,
    )


@require_POST
@accountant_only
def payment(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_payment(
                request.membership, award, data["paid_on"], data["amount"], data["reference"]
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("The payment is recorded."))
            return redirect("awards:accountant_award", pk=award.pk)
    return render(
        request,
        "awards/accountant_award.html",
        _accountant_context(request, award, payment_form=form),
        status=400,
    )
