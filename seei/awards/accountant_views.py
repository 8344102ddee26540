"""The public accountant's workspace: its list of awards (filters, pages, CSV export), the whole file
of an award it checks (documents, minutes, ranking, the ledger's verification), the visa with its
commitment, the payments and their reversals, and its perimeter's statistics.

Thin: ``selectors.accountant_award`` refuses what is outside the post's perimeter (403),
``accountant_selectors`` reads, ``services`` act (a refusal is shown with its reason, nothing changes).
"""

import csv
import json
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seei.accounts.decorators import role_required
from seei.accounts.models import Role
from seei.applications.models import Minutes
from seei.auctions import rules
from seei.auctions import selectors as auction_selectors
from seei.awards import accountant_selectors as books
from seei.awards import selectors, services
from seei.awards.forms import AccountantFilterForm, PaymentForm, ReversalForm, VisaForm
from seei.awards.models import Award, AwardDocument, Commitment, Visa
from seei.core import clock
from seei.core.forms import show_errors
from seei.core.models import AuditEvent
from seei.core.views import explained, private_file

PER_PAGE = 25

accountant_only = lambda view: explained(role_required(Role.ACCOUNTANT)(view))  # noqa: E731


# The list -------------------------------------------------------------------------------------------------


def _filters(request) -> tuple[AccountantFilterForm, books.Filters]:
    """The filters of the query string; invalid ones are shown on the form and not applied."""
    form = AccountantFilterForm(
        request.GET or None, buyers=books.perimeter_buyers(request.membership), states=books.State.choices
    )
    if not form.is_bound or not form.is_valid():
        return form, books.Filters()
    data = form.cleaned_data
    return form, books.Filters(
        state=data["state"],
        buyer=data["buyer"],
        start=data["start"],
        end=data["end"],
        search=data["q"].strip(),
    )


@accountant_only
def accountant(request):
    form, filters = _filters(request)
    awards = books.filtered(request.membership, filters)
    page = Paginator(awards, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "awards/accountant_list.html",
        {
            "form": form,
            "page": page,
            "awards": page.object_list,
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "labels": books.State.labels,
            "query": query.urlencode(),
        },
    )


def _plain(amount) -> str:
    return "" if amount is None else rules.format_decimal(amount.quantize(Decimal("0.01")))


class _Echo:
    def write(self, value):
        return value


@accountant_only
def accountant_csv(request):
    """The filtered list, every page, streamed: UTF-8 with a BOM (Excel reads the accents and the
    Arabic), amounts with a dot for decimals and their currency in the next column."""
    form, filters = _filters(request)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(m for ms in form.errors.values() for m in ms)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    awards = books.filtered(request.membership, filters).select_related("company")
    header = [
        _("Notice"),
        _("Lot"),
        _("Buyer"),
        _("Awardee"),
        _("Final on"),
        _("Status"),
        _("Awarded amount"),
        _("Committed"),
        _("Paid"),
        _("Remaining"),
        _("Currency"),
        _("Budget line"),
    ]
    labels = books.State.labels

    def rows():
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)
        for award in awards.iterator(chunk_size=500):
            commitment = getattr(award, "commitment", None)  # none before the visa
            yield writer.writerow(
                [
                    award.lot.tender.reference,
                    award.lot.number,
                    award.lot.tender.buyer.name,
                    award.company.name if award.company else "",
                    localtime(award.final_at).date().isoformat() if award.final_at else "",
                    str(labels[award.state]),
                    _plain(award.amount),
                    _plain(award.committed_total),
                    _plain(award.paid_total),
                    _plain(award.committed_total - award.paid_total)
                    if award.visa_decision == Visa.Decision.GRANTED
                    else "",
                    award.currency,
                    commitment.budget_line if commitment else "",
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = clock.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="seei-accountant-awards-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@accountant_only
def statistics(request):
    form, filters = _filters(request)
    return render(
        request,
        "awards/accountant_statistics.html",
        {"form": form, "rows": books.statistics(request.membership, filters)},
    )


# The file of an award -------------------------------------------------------------------------------------


def _last_verification(award: Award):
    return (
        AuditEvent.objects.filter(
            action="award.ledger_verified", object_type="awards.award", object_id=str(award.pk)
        )
        .select_related("actor")
        .first()
    )


def _checks(award: Award, report) -> list[dict]:
    """What the verification checked, one line each, with its outcome."""
    failed = " ".join(report.errors)
    step = award.current_step()
    recomputed = next((r for r in report.ranking if step and r.get("rank") == step.rank), None)
    matches = recomputed is not None and recomputed.get("bidder") == step.bidder.pseudonym
    if matches and "amount" in recomputed:
        matches = Decimal(recomputed["amount"]) == award.amount
    lines = [
        {
            "ok": "chain" not in failed and "hash" not in failed and "seq" not in failed,
            "text": _(
                "Hash chain: each of the %(entries)s entries is re-hashed and linked to the one before."
            )
            % {"entries": report.entries},
        },
        {
            "ok": "signature" not in failed,
            "text": _("Signatures: each entry is signed by the platform's key."),
        },
        {
            "ok": report.closed and "ranking" not in failed and "winner" not in failed,
            "text": _(
                "Rules: the auction is replayed from its frozen parameters over the recorded bids; the ranking, "
                "the closing time and the winner are the close entry's."
            ),
        },
        {
            "ok": report.log_head is not None,
            "text": _(
                "Transparency log: the ledger's last entry is leaf %(leaf)s of the platform's signed log."
            )
            % {"leaf": report.log_index if report.log_index is not None else "—"},
        },
        {
            "ok": matches,
            "text": _("The award: its candidate holds rank %(rank)s in the recomputed ranking.")
            % {"rank": step.rank if step else "—"},
        },
    ]
    return lines


def _documents(award: Award) -> list[AwardDocument]:
    return list(
        AwardDocument.objects.filter(step__award=award, replaced_at__isnull=True)
        .select_related("step__company")
        .order_by("step__rank", "kind")
    )


def _admission_minutes(award: Award) -> Minutes | None:
    return (
        Minutes.objects.filter(tender=award.lot.tender, kind=Minutes.Kind.ADMISSION)
        .order_by("-generated_at", "-pk")
        .first()
    )


def _context(request, award: Award, **extra) -> dict:
    report = extra.pop("report", None)
    return {
        "award": award,
        "lot": award.lot,
        "tender": award.lot.tender,
        "visa": award.visa(),
        "visas": list(award.visas.select_related("decided_by", "accountant_post")),
        "commitment": Commitment.objects.filter(award=award).first(),
        "payments": list(award.payments.select_related("recorded_by", "reverses")),
        "committed": award.committed(),
        "minutes": selectors.current_minutes(award),
        "admission_minutes": _admission_minutes(award),
        "documents": _documents(award),
        "ranking": selectors.ranking(award),
        "steps": list(selectors.steps_of(award)),
        "report": report,
        "checks": _checks(award, report) if report is not None else [],
        "last_verification": _last_verification(award),
        "visa_form": extra.pop("visa_form", None)
        or VisaForm(
            initial={
                "commitment_amount": award.amount,
                "committed_on": clock.today(),
            }
        ),
        "payment_form": extra.pop("payment_form", None) or PaymentForm(initial={"paid_on": clock.today()}),
        "reversal_form": extra.pop("reversal_form", None),
        **extra,
    }


@accountant_only
def accountant_award(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    return render(request, "awards/accountant_award.html", _context(request, award))


@accountant_only
def ledger(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    document = auction_selectors.ledger_document(selectors.room_of(award))
    body = json.dumps(document, ensure_ascii=False, indent=1).encode()
    return private_file(f"ledger-lot-{award.lot_id}.json", "application/json", body)


@require_POST
@accountant_only
def verify(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    report = services.verify(request.membership, award)
    return render(request, "awards/accountant_award.html", _context(request, award, report=report))


@accountant_only
def document(request, pk, document_pk):
    """A document the candidate gave, for the accountant of the award's perimeter."""
    award = selectors.accountant_award(request.membership, pk)
    found = AwardDocument.objects.filter(pk=document_pk, step__award=award).first()
    if found is None:
        raise Http404(_("No such document in this award."))
    with found.file.open("rb") as handle:
        return private_file(found.original_name, found.content_type, handle.read())


@accountant_only
def admission_minutes(request, pk):
    award = selectors.accountant_award(request.membership, pk)
    found = _admission_minutes(award)
    if found is None:
        raise Http404(_("The admission minutes of this notice are not written yet."))
    with found.file.open("rb") as handle:
        name = f"admission-minutes-{award.lot.tender.reference}.pdf"
        return private_file(name, "application/pdf", handle.read())


def _action(request, pk, key: str, form_class, act):
    """A decision posted by the accountant: the service acts on the checked form and says what
    happened; a refusal shows the page again (400) with the reason on the form."""
    award = selectors.accountant_award(request.membership, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            done = act(award, form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("awards:accountant_award", pk=award.pk)
    award.refresh_from_db()
    return render(
        request, "awards/accountant_award.html", _context(request, award, **{key: form}), status=400
    )


@require_POST
@accountant_only
def visa(request, pk):
    def act(award, data):
        services.give_visa(
            request.membership,
            award,
            data["decision"],
            data["reason"],
            commitment_amount=data["commitment_amount"],
            budget_line=data["budget_line"],
            committed_on=data["committed_on"],
        )
        return _("Your decision on the visa is recorded; the buyer was told.")

    return _action(request, pk, "visa_form", VisaForm, act)


@require_POST
@accountant_only
def payment(request, pk):
    def act(award, data):
        services.record_payment(request.membership, award, data["paid_on"], data["amount"], data["reference"])
        return _("The payment is recorded.")

    return _action(request, pk, "payment_form", PaymentForm, act)


@require_POST
@accountant_only
def reverse(request, pk):
    def act(award, data):
        services.reverse_payment(request.membership, award, data["payment"], data["reason"])
        return _("The payment is reversed; record the right payment if one is due.")

    return _action(request, pk, "reversal_form", ReversalForm, act)
