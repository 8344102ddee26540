"""Reads of the awards that enforce who may see what.

- The buyer agents of the notice's buyer and the members of its commission follow the award.
  The buyer sees pseudonyms only until the award is final; the commission sees the company
  whose documents it checks.
- A company sees its own steps (documents asked of it, decisions about it).
- An accountant sees the final awards of the buyers in the perimeter of its post (and of their
  sub-organisations), and nothing else.
- Anyone sees the result of a closed lot; companies are named once the award is final.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from seei.accounts.models import Organisation, Role
from seei.applications.models import CommissionMember, Minutes
from seei.auctions import rules
from seei.auctions.models import Bidder, Room
from seei.awards.models import Award, AwardDocument
from seei.tenders.models import Lot

BUYER, COMMISSION, COMPANY, ACCOUNTANT = "buyer", "commission", "company", "accountant"


# Who is who ---------------------------------------------------------------------------------------


def perimeter_ids(post: Organisation) -> set[int]:
    """The buyers an accountant post controls: its perimeter and, down the hierarchy, their units."""
    found = set(post.perimeter.filter(kind=Organisation.Kind.BUYER).values_list("pk", flat=True))
    frontier = set(found)
    while frontier:
        children = set(
            Organisation.objects.filter(parent__in=frontier, kind=Organisation.Kind.BUYER).values_list(
                "pk", flat=True
            )
        )
        frontier = children - found
        found |= frontier
    return found


def is_buyer_of(membership, tender) -> bool:
    return (
        membership is not None
        and membership.role == Role.BUYER_AGENT
        and membership.organisation_id == tender.buyer_id
    )


def is_commission_of(membership, tender) -> bool:
    return (
        membership is not None
        and membership.role == Role.COMMISSION_MEMBER
        and CommissionMember.objects.filter(tender=tender, membership=membership).exists()
    )


def is_candidate(membership, award: Award) -> bool:
    return (
        membership is not None
        and membership.role == Role.COMPANY_MEMBER
        and award.steps.filter(company_id=membership.organisation_id).exists()
    )


def in_perimeter(membership, award: Award) -> bool:
    return (
        membership is not None
        and membership.role == Role.ACCOUNTANT
        and award.lot.tender.buyer_id in perimeter_ids(membership.organisation)
    )


def viewer_role(membership, award: Award) -> str | None:
    tender = award.lot.tender
    if is_buyer_of(membership, tender):
        return BUYER
    if is_commission_of(membership, tender):
        return COMMISSION
    if is_candidate(membership, award):
        return COMPANY
    if award.is_final and in_perimeter(membership, award):
        return ACCOUNTANT
    return None


def _awards():
    return Award.objects.select_related("lot__tender__buyer", "company")


def award_for(membership, pk) -> tuple[Award, str]:
    """The award and the viewer's role, or 404 (no such award) / 403 (not yours to see)."""
    award = _awards().filter(pk=pk).first()
    if award is None:
        raise Http404(_("This award does not exist."))
    role = viewer_role(membership, award)
    if role is None:
        raise PermissionDenied(
            _(
                "This award is followed by the buyer and the commission of its notice, and by the candidates asked for documents."
            )
        )
    return award, role


def award_acting_as(membership, pk, role: str) -> Award:
    """The award, for a person about to act on it in ``role`` (the commission decides, the candidate
    submits): 404 if there is none, 403 if the person does not follow it in that role. A refusal of who
    the person is never depends on what was sent, nor reaches the services (whose 400 says what was wrong)."""
    award, viewer = award_for(membership, pk)
    if viewer != role:
        raise PermissionDenied(
            _(
                "Only the commission of the notice decides on its award, and only the candidate asked for "
                "documents submits them."
            )
        )
    return award


def awards_for(membership):
    """The awards a person follows in its current role (the accountants' are in ``accountant_awards``)."""
    if membership is None:
        return Award.objects.none()
    if membership.role == Role.BUYER_AGENT:
        return _awards().filter(lot__tender__buyer=membership.organisation).order_by("-created_at")
    if membership.role == Role.COMMISSION_MEMBER:
        return _awards().filter(lot__tender__commission__membership=membership).order_by("-created_at")
    if membership.role == Role.COMPANY_MEMBER:
        return _awards().filter(steps__company=membership.organisation).distinct().order_by("-created_at")
    if membership.role == Role.ACCOUNTANT:
        return accountant_awards(membership)
    return Award.objects.none()


# The accountant ------------------------------------------------------------------------------------


def _require_accountant(membership):
    if membership is None or membership.role != Role.ACCOUNTANT:
        raise PermissionDenied(_("Only an accountant can see this."))


def accountant_awards(membership):
    """The final awards of the buyers in the post's perimeter, newest first."""
    _require_accountant(membership)
    return (
        _awards()
        .filter(status=Award.Status.FINAL, lot__tender__buyer__in=perimeter_ids(membership.organisation))
        .filter(lot__in=Lot.objects.real())  # a practice award is never paid
        .prefetch_related("payments", "visas")
        .order_by("-final_at", "-pk")
    )


def accountant_award(membership, pk) -> Award:
    _require_accountant(membership)
    award = accountant_awards(membership).filter(pk=pk).first()
    if award is None:
        raise PermissionDenied(_("This award is not in the perimeter of your accountant post."))
    return award


# Pieces of an award -----------------------------------------------------------------------------


def steps_of(award: Award):
    return award.steps.select_related(
        "bidder", "company", "decided_by", "low_price_checked_by"
    ).prefetch_related("documents")


def current_minutes(award: Award) -> Minutes | None:
    return (
        Minutes.objects.filter(lot=award.lot, kind=Minutes.Kind.AUCTION)
        .order_by("-generated_at", "-pk")
        .first()
    )


def minutes_for(membership, award: Award) -> Minutes:
    """The buyer, the commission and the accountant may download them; anyone once final."""
    if not award.is_final and viewer_role(membership, award) not in (BUYER, COMMISSION, ACCOUNTANT):
        raise PermissionDenied(
            _(
                "The auction minutes are public once the award is final; until then they are for the buyer and the commission."
            )
        )
    minutes = current_minutes(award)
    if minutes is None:
        raise Http404(_("The auction minutes of this lot are not written yet."))
    return minutes


def step_document(membership, award: Award, pk) -> AwardDocument:
    """A candidate's document: for the commission and the candidate itself."""
    document = AwardDocument.objects.select_related("step__award").filter(pk=pk, step__award=award).first()
    if document is None:
        raise Http404(_("No such document in this award."))
    tender = award.lot.tender
    own = (
        membership is not None
        and membership.role == Role.COMPANY_MEMBER
        and document.step.company_id == membership.organisation_id
    )
    if not (own or is_commission_of(membership, tender)):
        raise PermissionDenied(
            _("The award documents are for the commission and the candidate who gave them.")
        )
    return document


def room_of(award: Award) -> Room:
    return Room.objects.select_related("lot__tender").get(lot=award.lot)


# The result, as the public sees it ---------------------------------------------------------------


@dataclass
class RankLine:
    rank: int
    pseudonym: str
    amount: Decimal
    at: datetime
    company: Organisation | None  # only once the award is final
    awarded: bool = False


def ranking(award_or_lot: Award | Lot) -> list[RankLine]:
    """The final ranking of the room; companies are named only when the award is final."""
    if isinstance(award_or_lot, Award):
        award, lot = award_or_lot, award_or_lot.lot
    else:
        lot = award_or_lot
        award = Award.objects.filter(lot=lot).first()
    room = Room.objects.filter(lot=lot).first()
    if room is None:
        return []
    final = award is not None and award.is_final
    bidders = {b.pseudonym: b.company for b in Bidder.objects.filter(room=room).select_related("company")}
    state = rules.State.from_dict(room.state)
    return [
        RankLine(
            rank=rank,
            pseudonym=bid.bidder,
            amount=bid.amount,
            at=bid.at,
            company=bidders.get(bid.bidder) if final else None,
            awarded=final and award.company_id == getattr(bidders.get(bid.bidder), "pk", None),
        )
        for rank, bid in enumerate(state.ranking(), start=1)
    ]


def public_result(lot_id) -> tuple[Lot, Award | None]:
    """A closed lot and its award (if any), for the public page; 404 before the close."""
    lot = Lot.objects.real().select_related("tender__buyer").filter(pk=lot_id).first()
    room = Room.objects.filter(lot_id=lot_id).first()
    if lot is None or lot.tender.status == "draft" or room is None or room.status != Room.Status.CLOSED:
        raise Http404(_("The result of a lot is published once its auction is closed."))
    return lot, Award.objects.select_related("company").filter(lot=lot).first()
