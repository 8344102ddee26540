"""The steps of a notice's life that publish an OCDS release, read from the data.

Each step has a stable key (the end of its release id), the moment it happened, its release tag and
the release's content as of that moment. ``due(notice)`` lists every step that has happened, so
publishing is idempotent: ``seei.ocds.publish`` stores the ones not stored yet. ``behind(tenders)``
counts the same steps in SQL, for the sweep to find the few notices with one not stored.

| step | when | tag |
| --- | --- | --- |
| ``tender`` | publication | tender |
| ``amendment-N`` | erratum N | tenderAmendment |
| ``lot-N-unsuccessful`` | a lot without an auction result (too few applications, admitted or bids) | tenderUpdate |
| ``lot-N-award`` | the award is final (or no candidate was left: unsuccessful) | award |
| ``lot-N-contract`` | the accountant's visa on the commitment | contract |
| ``payment-ID`` | each payment | implementation |
| ``cancellation`` | the notice is cancelled | tenderCancellation |
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When

from seei.awards.models import Award, Payment, Visa
from seei.core import audit, clock
from seei.ocds import build
from seei.ocds.build import ACTIVE, CANCELLED, COMPLETE, UNSUCCESSFUL, Notice
from seei.ocds.models import Release
from seei.tenders.models import Erratum, Lot, Tender


@dataclass(frozen=True)
class Step:
    key: str
    at: datetime
    tag: str
    content: Callable[[], dict]


# When each lot's outcome became known -------------------------------------------------------------------


def _audit_time(action: str, obj) -> datetime | None:
    event = audit.of(action, obj).order_by("at").first()
    return event.at if event else None


def lot_outcome(notice: Notice, lot) -> tuple[str, datetime] | None:
    """("award" or "unsuccessful", when), or None while the lot is still on its way."""
    award = notice.awards.get(lot.pk)
    if award is not None and award.status == Award.Status.FINAL:
        return "award", award.final_at
    if award is not None and award.status == Award.Status.UNSUCCESSFUL:
        return "award", build.unsuccessful_award_at(award)
    if lot.status != Lot.Status.UNSUCCESSFUL:
        return None
    room = notice.rooms.get(lot.pk)
    at = _audit_time("lot.unsuccessful", lot) or (room.closed_at if room else None)
    return "unsuccessful", at or notice.tender.application_deadline


def lot_status(notice: Notice, lot) -> str:
    award = notice.awards.get(lot.pk)
    return COMPLETE if award is not None and award.status == Award.Status.FINAL else UNSUCCESSFUL


def tender_status(notice: Notice, at: datetime, outcomes: dict) -> str:
    """As of ``at``: complete or unsuccessful once every lot has its outcome, active before."""
    ended = [lot for lot in notice.lots if lot.pk in outcomes and outcomes[lot.pk][1] <= at]
    if len(ended) < len(notice.lots):
        return ACTIVE
    return COMPLETE if any(lot_status(notice, lot) == COMPLETE for lot in ended) else UNSUCCESSFUL


# The steps ---------------------------------------------------------------------------------------------------


def _notice_steps(notice: Notice) -> list[Step]:
    tender = notice.tender
    steps = [
        Step(
            build.TENDER_STEP,
            tender.published_at,
            "tender",
            lambda: {
                "parties": [build.buyer_party(notice)],
                "tender": build.tender_section(notice, notice.version_after(0)),
            },
        )
    ]
    for index, erratum in enumerate(notice.errata, start=1):

        def amended(erratum=erratum, index=index):
            section = build.tender_section(notice, notice.version_after(erratum.number))
            section["documents"] += build.withdrawn_documents(notice, index)
            section["amendments"] = [build.amendment(notice, erratum)]
            return {"parties": [build.buyer_party(notice)], "tender": section}

        steps.append(
            Step(build.amendment_step(erratum.number), erratum.published_at, "tenderAmendment", amended)
        )
    return steps


def _lot_steps(notice: Notice, lot, outcomes: dict) -> list[Step]:
    if lot.pk not in outcomes:
        return []
    kind, at = outcomes[lot.pk]
    award = notice.awards.get(lot.pk)

    def outcome_content():
        lot_part = {"id": build.lot_id(lot), "status": lot_status(notice, lot)}
        results = build.auction_results(notice, lot)
        if results is not None:
            lot_part["seeiAuction"] = results
        content = {
            "tender": {
                "id": notice.tender.reference,
                "status": tender_status(notice, at, outcomes),
                "lots": [lot_part],
            },
            "bids": {"statistics": build.bid_statistics(notice, lot, at)},
        }
        if award is not None:
            content["awards"] = [build.award_section(notice, award)]
        if award is not None and award.status == Award.Status.FINAL:
            content["parties"] = build.parties_at(notice, at)
            content["bids"]["details"] = build.bid_details(notice, lot)
        return content

    if kind == "unsuccessful":
        return [Step(f"lot-{lot.number}-unsuccessful", at, "tenderUpdate", outcome_content)]
    steps = [Step(f"lot-{lot.number}-award", at, "award", outcome_content)]
    visa = build.granted_visa(award) if award.status == Award.Status.FINAL else None
    if visa is None:
        return steps
    steps.append(
        Step(
            f"lot-{lot.number}-contract",
            visa.decided_at,
            "contract",
            lambda: {"contracts": [build.contract_section(notice, award)]},
        )
    )
    for payment in award.payments.all():

        def paid(payment=payment):
            status = "terminated" if build.paid_in_full(award, payment.recorded_at) else "active"
            contract = build.contract_section(notice, award, status=status)
            contract["implementation"] = {"transactions": [build.transaction(notice, award, payment)]}
            payer = build.party(payment.accountant_post, ["payer"])
            return {
                "parties": build.parties_at(notice, payment.recorded_at, [payer]),
                "contracts": [contract],
            }

        steps.append(Step(f"payment-{payment.pk}", payment.recorded_at, "implementation", paid))
    return steps


def _cancellation(notice: Notice, outcomes: dict) -> Step:
    # Nothing on the notice records when it was cancelled (it has no cancelled_at or updated_at): a
    # cancel service must audit "tender.cancelled". Failing that, the release is dated when SEEI
    # publishes it, which is what an OCDS release date is: when the information was first published.
    at = _audit_time("tender.cancelled", notice.tender) or clock.now()
    open_lots = [lot for lot in notice.lots if lot.pk not in outcomes or outcomes[lot.pk][1] > at]
    return Step(
        "cancellation",
        at,
        "tenderCancellation",
        lambda: {
            "tender": {
                "id": notice.tender.reference,
                "status": CANCELLED,
                "lots": [{"id": build.lot_id(lot), "status": CANCELLED} for lot in open_lots],
            }
        },
    )


def due(notice: Notice) -> list[Step]:
    """Every step that has happened to the notice, oldest first (none for a draft)."""
    tender = notice.tender
    if tender.status == Tender.Status.DRAFT or tender.published_at is None:
        return []
    outcomes = {lot.pk: found for lot in notice.lots if (found := lot_outcome(notice, lot))}
    steps = _notice_steps(notice)
    for lot in notice.lots:
        steps += _lot_steps(notice, lot, outcomes)
    if tender.status == Tender.Status.CANCELLED:
        steps.append(_cancellation(notice, outcomes))
    return sorted(steps, key=lambda step: step.at)


def _count(rows: QuerySet) -> Subquery:
    return Subquery(rows.order_by().annotate(n=Func("pk", function="COUNT")).values("n"), IntegerField())


def _visa_granted(award) -> Exists:
    return Exists(Visa.objects.filter(award=award, decision=Visa.Decision.GRANTED))


def behind(tenders: QuerySet) -> QuerySet:
    """The published notices of ``tenders`` with fewer stored releases than ``due`` has steps, in one
    query (the steps counted as ``due`` finds them; the tests hold the two together)."""
    tender, final = OuterRef("pk"), Award.Status.FINAL
    outcome = Q(award__status__in=[final, Award.Status.UNSUCCESSFUL]) | Q(status=Lot.Status.UNSUCCESSFUL)
    contracts = Award.objects.filter(_visa_granted(OuterRef("pk")), lot__tender=tender, status=final)
    payments = Payment.objects.filter(
        _visa_granted(OuterRef("award")), award__lot__tender=tender, award__status=final
    )
    return (
        tenders.exclude(status=Tender.Status.DRAFT)
        .exclude(published_at=None)
        .annotate(
            happened=Value(1)  # the publication
            + _count(Erratum.objects.filter(tender=tender))
            + _count(Lot.objects.filter(outcome, tender=tender))
            + _count(contracts)
            + _count(payments)
            + Case(When(status=Tender.Status.CANCELLED, then=1), default=0),
            stored=_count(Release.objects.filter(tender=tender)),
        )
        .filter(happened__gt=F("stored"))
    )
