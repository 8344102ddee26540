"""Pages of the award: the buyer's, the commission's and the candidate's award page and the public
result of a lot (the accountant's workspace is in ``accountant_views``).

Thin: ``selectors`` decide who sees what (identities only once final, the accountant's
perimeter), ``services`` apply the rules; a refusal is shown with its reason and changes nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.auctions import signing
from seei.awards import selectors, services
from seei.awards.forms import ConfirmForm, DocumentsForm, FailForm
from seei.awards.models import Award, AwardStep
from seei.core import clock
from seei.core.forms import show_errors
from seei.core.views import explained, private_file


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
        show_errors(form, error)
    return render(request, "awards/detail.html", context, status=400)


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


def _step_action(request, pk, role: str, key: str, make_form, act):
    """A step of the award posted from its page by the person acting in ``role`` (anyone else: 403):
    the form is checked, then the service acts and says what happened; a refusal shows the page again
    (400) and changes nothing."""
    award = selectors.award_acting_as(request.membership, pk, role)
    form = make_form(award)
    if not form.is_valid():
        return _refused(request, award, role, key, form, None)
    try:
        done = act(award, form)
    except ValidationError as error:
        return _refused(request, award, role, key, form, error)
    messages.success(request, done)
    return redirect("awards:detail", pk=award.pk)


@require_POST
@_signed_in
def submit_documents(request, pk):
    def act(award, form):
        services.submit_documents(request.membership, award, form.files_by_kind())
        return _("Your documents were submitted; the commission will check them.")

    def make_form(award):
        return DocumentsForm(request.POST, request.FILES, kinds=award.required_documents)

    return _step_action(request, pk, selectors.COMPANY, "documents_form", make_form, act)


@require_POST
@_signed_in
def confirm(request, pk):
    def act(award, form):
        data = form.cleaned_data
        services.confirm(request.membership, award, data["rank"], data["low_price_note"])
        return _("The award is final. Every bidder was told the result.")

    return _step_action(
        request, pk, selectors.COMMISSION, "confirm_form", lambda award: ConfirmForm(request.POST), act
    )


@require_POST
@_signed_in
def fail(request, pk):
    def act(award, form):
        award = services.fail(
            request.membership, award, form.cleaned_data["rank"], form.cleaned_data["reason"]
        )
        if award.status == Award.Status.UNSUCCESSFUL:
            return _("The candidate fails. No candidate is left: the lot is unsuccessful.")
        return _("The candidate fails. The next bidder in the ranking is asked for its documents.")

    return _step_action(
        request, pk, selectors.COMMISSION, "fail_form", lambda award: FailForm(request.POST), act
    )


@_signed_in
def document(request, pk, document_pk):
    award, _role = selectors.award_for(request.membership, pk)
    found = selectors.step_document(request.membership, award, document_pk)
    with found.file.open("rb") as handle:
        return private_file(found.original_name, found.content_type, handle.read())


@explained
def minutes(request, pk):
    """The latest auction minutes: for the buyer, the commission and the accountant; anyone once final."""
    award = get_object_or_404(Award.objects.select_related("lot__tender"), pk=pk)
    found = selectors.minutes_for(getattr(request, "membership", None), award)
    with found.file.open("rb") as handle:
        name = f"minutes-{award.lot.tender.reference}-lot-{award.lot.number}.pdf"
        return private_file(name, "application/pdf", handle.read())


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
            "verify_command": signing.verify_command(f"ledger-lot-{lot.pk}.json"),
        },
    )


# The accountant's workspace is in seei.awards.accountant_views.
