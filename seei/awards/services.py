"""State changes of the award and of its execution by the accountant.

The award follows the final ranking of the room, one rank at a time, and nobody chooses: at the
close the best-ranked bidder is asked for its documents; the commission confirms it, or records
why it fails and the next rank is asked automatically, until one is confirmed (the award is final,
identities are revealed, every bidder is told its own final rank) or none is left (the lot is
unsuccessful). Then the accountant of the buyer's perimeter gives or refuses the visa and
records the payments, never more than the awarded amount.

Every function checks the rules and raises ``TenderError`` with a message for the user; nothing
is changed when it does. Each step is written to the audit log; the minutes are written again
at each step; notifications leave after commit.
"""

import hashlib
import logging
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from seei.accounts.models import Organisation, Role, User
from seei.alerts.services import LocalAmount, LocalTime, company_users, notify
from seei.applications.models import CommissionMember, Minutes
from seei.auctions import reasons, rules
from seei.auctions.models import Bidder, Room
from seei.awards import documents, selectors
from seei.awards.minutes import auction_minutes_pdf
from seei.awards.models import Award, AwardDocument, AwardStep, Commitment, Payment, Visa
from seei.core import amounts, audit, clock
from seei.core.uploads import sha256_of, validate_document
from seei.ocds import hooks as ocds
from seei.tenders import requirements, schedule
from seei.tenders.errors import TenderError
from seei.tenders.models import Lot

log = logging.getLogger(__name__)


# Settings --------------------------------------------------------------------------------------------


def documents_days() -> int:
    return int(settings.SEEI_AWARD_DOCUMENTS_DAYS)


def low_price_share() -> Decimal:
    return Decimal(str(settings.SEEI_LOW_PRICE_SHARE))


def low_price_gap() -> Decimal:
    return Decimal(str(settings.SEEI_LOW_PRICE_GAP))


def is_abnormally_low(amount: Decimal, estimate: Decimal, next_amount: Decimal | None) -> bool:
    """Below a share of the estimate AND far below the next price in the ranking (both needed)."""
    if next_amount is None:
        return False
    return amount < estimate * low_price_share() and amount < next_amount * low_price_gap()


# Formatting in each recipient's language -------------------------------------------------------------


class _Documents:
    def __init__(self, kinds):
        self.kinds = list(kinds)

    def __str__(self):
        return ", ".join(documents.label(kind) for kind in self.kinds)


def when(moment) -> str:
    return str(LocalTime(moment))


# Who ---------------------------------------------------------------------------------------------------


def _require_commission(membership, award: Award, action: str):
    if not selectors.is_commission_of(membership, award.lot.tender):
        raise TenderError(
            _("Only a member of the commission of notice %(reference)s can %(action)s.")
            % {"reference": award.lot.tender.reference, "action": action}
        )


def _require_accountant_of(membership, award: Award, action: str):
    if membership is None or membership.role != Role.ACCOUNTANT:
        raise TenderError(_("Only an accountant can %(action)s.") % {"action": action})
    if not selectors.in_perimeter(membership, award):
        raise TenderError(
            _("This award is not in the perimeter of your accountant post (%(post)s): you cannot %(action)s.")
            % {"post": membership.organisation.name, "action": action}
        )


def _lock(award: Award) -> Award:
    return Award.objects.select_for_update().select_related("lot__tender__buyer").get(pk=award.pk)


def _ranking(room: Room) -> tuple[rules.Bid, ...]:
    return rules.State.from_dict(room.state).ranking()


def _staff(tender) -> list[User]:
    return [*_buyer_users(tender), *_commission_users(tender)]


def _commission_users(tender) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__in=CommissionMember.objects.filter(tender=tender).values("membership"),
        ).distinct()
    )


def _buyer_users(tender) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, memberships__role=Role.BUYER_AGENT, memberships__organisation=tender.buyer_id
        ).distinct()
    )


def _accountant_users(buyer: Organisation) -> list[User]:
    """The accountants of every post whose perimeter holds this buyer or one of its parents."""
    ancestors, current = [], buyer
    while current is not None:
        ancestors.append(current.pk)
        current = current.parent
    posts = Organisation.objects.filter(kind=Organisation.Kind.ACCOUNTANT_POST, perimeter__in=ancestors)
    return list(
        User.objects.filter(
            is_active=True, memberships__role=Role.ACCOUNTANT, memberships__organisation__in=posts
        ).distinct()
    )


def _url(award: Award) -> str:
    return reverse("awards:detail", args=[award.pk])


def _common(award: Award) -> dict:
    lot = award.lot
    return {"number": lot.number, "lot": lot.title, "reference": lot.tender.reference}


# The minutes --------------------------------------------------------------------------------------------


def write_minutes(award: Award, now=None) -> Minutes:
    """A new version of the lot's auction minutes, stored with its own hash (the latest one counts)."""
    now = now or clock.now()
    data = auction_minutes_pdf(award, now)
    lot = award.lot
    minutes = Minutes(
        tender=lot.tender,
        lot=lot,
        kind=Minutes.Kind.AUCTION,
        sha256=hashlib.sha256(data).hexdigest(),
        generated_at=now,
    )
    minutes.file.save("auction.pdf", ContentFile(data), save=False)
    minutes.save()
    audit.record("award.minutes_written", minutes, lot=lot.pk, award=award.status, sha256=minutes.sha256)
    return minutes


# The close hands over ------------------------------------------------------------------------------------


def start_award(lot) -> Award | None:
    """At the close: the best-ranked bidder becomes the provisional awardee and is asked for its
    documents. Idempotent (a lot keeps its award); nothing happens for a lot whose auction is not
    closed or that had no bid. Call it after ``seei.auctions.services.close_room`` commits."""
    lot_id = getattr(lot, "pk", lot)
    with transaction.atomic():
        lot = Lot.objects.select_for_update().select_related("tender__buyer").get(pk=lot_id)
        existing = Award.objects.filter(lot=lot).first()
        if existing is not None:
            return existing
        room = Room.objects.filter(lot=lot, status=Room.Status.CLOSED).first()
        if room is None or lot.status != Lot.Status.CLOSED or _practice_auction(lot):
            return None
        ranking = _ranking(room)
        if not ranking:
            return None
        now = clock.now()
        award = Award.objects.create(
            lot=lot,
            currency=room.params.get("currency") or lot.tender.currency,
            required_documents=requirements.award_documents(lot.tender),  # the notice's choice
            created_at=now,
        )
        audit.record("award.started", award, lot=lot.pk, ranked=len(ranking), final_hash=room.last_hash)
        _ask(award, room, ranking, 1, now)
        write_minutes(award, now)
    return award


def _practice_auction(lot) -> bool:
    """A practice auction started by a company or the platform never awards anything; a buyer's
    practice procedure goes to a practice award (kept out of everything counted by ``real()``)."""
    return lot.tender.practice and hasattr(lot, "practice_settings")


def start_award_after_close(lot_id: int) -> None:
    """``start_award`` for the close's follow-ups: a failure is logged and never reaches them
    (the periodic sweep in seei.awards.tasks starts the award later)."""
    try:
        start_award(lot_id)
    except Exception:
        log.exception("could not start the award of lot %s", lot_id)


def start_missing_awards() -> int:
    """Start the award of every closed lot that has none yet (a missed hook); returns how many."""
    started = 0
    due = Lot.objects.real().filter(
        status=Lot.Status.CLOSED, room__status=Room.Status.CLOSED, award__isnull=True
    )
    for lot_id in list(due.values_list("pk", flat=True)):
        started += start_award(lot_id) is not None
    return started


def _ask(award: Award, room: Room, ranking, rank: int, now) -> AwardStep:
    """Open the step of ``rank`` (the next one down the ranking, never another)."""
    bid = ranking[rank - 1]
    bidder = Bidder.objects.select_related("company").get(room=room, pseudonym=bid.bidder)
    next_amount = ranking[rank].amount if rank < len(ranking) else None
    step = AwardStep.objects.create(
        award=award,
        rank=rank,
        bidder=bidder,
        company=bidder.company,
        amount=bid.amount,
        requested_at=now,
        documents_deadline=now + schedule.days(documents_days(), award.lot.tender),
        low_price=is_abnormally_low(bid.amount, award.lot.estimated_amount, next_amount),
    )
    award.company, award.amount = bidder.company, bid.amount
    award.save(update_fields=["company", "amount"])
    audit.record(
        "award.documents_requested",
        award,
        rank=rank,
        bidder=bidder.pseudonym,
        amount=rules.format_decimal(bid.amount),
        deadline=step.documents_deadline.isoformat(),
        low_price=step.low_price,
    )
    params = {
        **_common(award),
        "rank": rank,
        "amount": LocalAmount(bid.amount, award.currency),
        "deadline": LocalTime(step.documents_deadline),
        "documents": _Documents(award.required_documents),
        "pseudonym": bidder.pseudonym,
    }
    notify(
        company_users([bidder.company]),
        gettext_lazy("Provisional award: lot {number} of {reference}"),
        gettext_lazy(
            "Your company ranks {rank} in the auction of lot {number} (“{lot}”) of notice {reference}, at {amount}, "
            "and is now the provisional awardee. Upload these documents by {deadline}: {documents}. "
            "The commission will check them before the award becomes final."
        ),
        url=_url(award),
        **params,
    )
    notify(
        _staff(award.lot.tender),
        gettext_lazy("Award of lot {number} of {reference}: documents requested from rank {rank}"),
        gettext_lazy(
            "The bidder ranked {rank} ({pseudonym}, {amount}) on lot {number} (“{lot}”) of notice {reference} "
            "is asked for its documents by {deadline}."
        ),
        url=_url(award),
        **params,
    )
    return step


# The candidate gives its documents ---------------------------------------------------------------------


def submit_documents(membership, award: Award, files: dict) -> AwardStep:
    """The current candidate's documents, one file per required document, before its deadline."""
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        raise TenderError(_("Only a member of the candidate company can submit its documents."))
    errors: dict[str, list] = {}
    files = {kind: upload for kind, upload in (files or {}).items() if upload}
    checked = {}
    for kind, upload in files.items():
        if kind not in award.required_documents:
            errors.setdefault(kind, []).append(_("This document is not asked for."))
            continue
        try:
            mime = validate_document(upload)
        except ValidationError as error:
            errors.setdefault(kind, []).extend(error.messages)
        else:
            checked[kind] = (upload, mime, sha256_of(upload))
    for kind in award.required_documents:
        if kind not in files:
            errors.setdefault(kind, []).append(
                _("Give the document “%(document)s”.") % {"document": documents.label(kind)}
            )
    if errors:
        raise TenderError(errors)
    with transaction.atomic():
        award = _lock(award)
        step = award.current_step()
        if award.status != Award.Status.PROVISIONAL or step is None:
            raise TenderError(_("This award is no longer waiting for documents."))
        if step.company_id != membership.organisation_id:
            raise TenderError(_("Your company is not the candidate asked for documents on this award."))
        if step.status != AwardStep.Status.REQUESTED:
            raise TenderError(_("Your documents are already submitted; the commission is checking them."))
        now = clock.now()
        if now > step.documents_deadline:
            raise TenderError(
                _("The deadline for the documents passed on %(deadline)s.")
                % {"deadline": when(step.documents_deadline)}
            )
        for kind, (upload, mime, digest) in checked.items():
            step.documents.filter(kind=kind, replaced_at__isnull=True).update(replaced_at=now)
            document = AwardDocument(
                step=step,
                kind=kind,
                original_name=upload.name[:255],
                content_type=mime,
                size=upload.size,
                sha256=digest,
                uploaded_at=now,
                uploaded_by=membership.user,
            )
            document.file.save(upload.name, upload, save=False)
            document.save()
        step.status, step.submitted_at = AwardStep.Status.SUBMITTED, now
        step.save(update_fields=["status", "submitted_at"])
        audit.record(
            "award.documents_submitted",
            award,
            membership.user,
            membership.organisation,
            rank=step.rank,
            documents={kind: digest for kind, (_u, _m, digest) in checked.items()},
        )
        notify(
            _commission_users(award.lot.tender),
            gettext_lazy("Award of lot {number} of {reference}: documents to check"),
            gettext_lazy(
                "The candidate ranked {rank} on lot {number} (“{lot}”) of notice {reference} submitted its "
                "documents. Check them, then confirm the award or record why the candidate fails."
            ),
            url=_url(award),
            rank=step.rank,
            **_common(award),
        )
    return step


# The commission decides ------------------------------------------------------------------------------------


def _current_step_of_rank(award: Award, rank) -> AwardStep:
    if award.status != Award.Status.PROVISIONAL:
        raise TenderError(
            _("This award is already decided: %(status)s.") % {"status": award.get_status_display()}
        )
    step = award.current_step()
    try:
        rank = int(rank)
    except (TypeError, ValueError):
        rank = None
    if rank != step.rank:
        raise TenderError(
            _(
                "The award follows the ranking: the candidate ranked %(current)s is being examined, "
                "no other rank can be decided now."
            )
            % {"current": step.rank}
        )
    return step


def _record_low_price_check(membership, award: Award, step: AwardStep, note: str, now) -> None:
    step.low_price_checked_by, step.low_price_checked_at, step.low_price_note = membership.user, now, note
    step.save(update_fields=["low_price_checked_by", "low_price_checked_at", "low_price_note"])
    audit.record(
        "award.low_price_checked", award, membership.user, membership.organisation, rank=step.rank, note=note
    )


def confirm(membership, award: Award, rank, low_price_note: str = "") -> Award:
    """The commission confirms the current candidate: the award is final and identities are revealed."""
    low_price_note = (low_price_note or "").strip()
    with transaction.atomic():
        award = _lock(award)
        _require_commission(membership, award, _("confirm the award"))
        step = _current_step_of_rank(award, rank)
        if step.status != AwardStep.Status.SUBMITTED:
            raise TenderError(
                _(
                    "The candidate has not submitted its documents yet (deadline: %(deadline)s): the award can be "
                    "confirmed only once the commission has checked them."
                )
                % {"deadline": when(step.documents_deadline)}
            )
        now = clock.now()
        if step.low_price and not step.low_price_checked:
            if not low_price_note:
                raise TenderError(
                    {
                        "low_price_note": [
                            _(
                                "This price is abnormally low: record what the commission checked before "
                                "confirming the award."
                            )
                        ]
                    }
                )
            _record_low_price_check(membership, award, step, low_price_note, now)
        step.status, step.decided_at, step.decided_by = AwardStep.Status.CONFIRMED, now, membership.user
        step.save(update_fields=["status", "decided_at", "decided_by"])
        award.status, award.final_at = Award.Status.FINAL, now
        award.company, award.amount = step.company, step.amount
        award.save(update_fields=["status", "final_at", "company", "amount"])
        Lot.objects.filter(pk=award.lot_id).update(status=Lot.Status.AWARDED)
        award.lot.status = Lot.Status.AWARDED
        audit.record(
            "award.confirmed",
            award,
            membership.user,
            membership.organisation,
            rank=step.rank,
            company=step.company_id,
            amount=rules.format_decimal(step.amount),
        )
        write_minutes(award, now)
        _tell_final(award, step)
        ocds.step_happened(award.lot.tender_id)
    return award


def fail(membership, award: Award, rank, reason: str) -> Award:
    """The commission records why the current candidate fails; the next rank is asked automatically."""
    reason = (reason or "").strip()
    with transaction.atomic():
        award = _lock(award)
        _require_commission(membership, award, _("record that a candidate fails"))
        step = _current_step_of_rank(award, rank)
        if not reason:
            raise TenderError(
                {
                    "reason": [
                        _(
                            "Say why the candidate fails: it is told to the company and written in the minutes."
                        )
                    ]
                }
            )
        now = clock.now()
        if step.status == AwardStep.Status.REQUESTED and now <= step.documents_deadline:
            raise TenderError(
                _(
                    "The candidate has until %(deadline)s to submit its documents: it can fail only once its "
                    "documents are checked or the deadline has passed."
                )
                % {"deadline": when(step.documents_deadline)}
            )
        _fail_step(award, step, reason, now, membership.user, membership.organisation)
    return award


def _fail_step(award: Award, step: AwardStep, reason, now, user=None, organisation=None, told=None) -> None:
    """The candidate of ``step`` fails for ``reason``; the next rank is asked, or the lot is
    unsuccessful. Shared by the commission's decision (``fail``) and the worker's lapse (``lapse``,
    where ``user`` is None: the system acts; ``told`` is then the reason in each reader's language).
    The caller holds the award's lock; writes the minutes."""
    step.status, step.decided_at, step.decided_by, step.reason = (
        AwardStep.Status.FAILED,
        now,
        user,
        reason,
    )
    step.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    audit.record(
        "award.candidate_failed",
        award,
        user,
        organisation,
        rank=step.rank,
        reason=reason,
    )
    notify(
        company_users([step.company]),
        gettext_lazy("Award of lot {number} of {reference}: your company is not retained"),
        gettext_lazy(
            "The commission found that your company cannot be awarded lot {number} (“{lot}”) of notice "
            "{reference}: {reason}. The award passes to the next bidder in the ranking."
        ),
        url=_url(award),
        reason=told or reason,
        **_common(award),
    )
    room = Room.objects.get(lot=award.lot)
    ranking = _ranking(room)
    if step.rank < len(ranking):
        _ask(award, room, ranking, step.rank + 1, now)
    else:
        award.status, award.company, award.amount = Award.Status.UNSUCCESSFUL, None, None
        award.save(update_fields=["status", "company", "amount"])
        Lot.objects.filter(pk=award.lot_id).update(status=Lot.Status.UNSUCCESSFUL)
        award.lot.status = Lot.Status.UNSUCCESSFUL
        audit.record("award.unsuccessful", award, user, organisation)
        bidders = Bidder.objects.filter(room=room).values("company")
        notify(
            [*company_users(bidders), *_staff(award.lot.tender)],
            gettext_lazy("Lot {number} of {reference} is unsuccessful"),
            gettext_lazy(
                "No candidate of the ranking could be awarded lot {number} (“{lot}”) of notice {reference}: "
                "the lot is unsuccessful."
            ),
            url=reverse("awards:result", args=[award.lot_id]),
            **_common(award),
        )
        ocds.step_happened(award.lot.tender_id)
    write_minutes(award, now)


def _tell_final(award: Award, step: AwardStep) -> None:
    """Every bidder learns the result with its own final rank; the buyer, commission and accountants too."""
    lot = award.lot
    room = Room.objects.get(lot=lot)
    state = rules.State.from_dict(room.state)
    ranked = len(state.ranking())
    url = reverse("awards:result", args=[lot.pk])
    common = {
        **_common(award),
        "awardee": step.company.name,
        "amount": LocalAmount(step.amount, award.currency),
        "ranked": ranked,
    }
    subject = gettext_lazy("Award of lot {number} of {reference} is final")
    for bidder in Bidder.objects.filter(room=room).select_related("company"):
        rank = state.rank_of(bidder.pseudonym)
        if bidder.company_id == step.company_id:
            body = gettext_lazy(
                "Your company is awarded lot {number} (“{lot}”) of notice {reference} at {amount}. "
                "Your final rank: {rank} of {ranked}."
            )
        elif rank is None:
            body = gettext_lazy(
                "The award of lot {number} (“{lot}”) of notice {reference} is final: {awardee} at {amount}. "
                "Your company placed no bid."
            )
        else:
            body = gettext_lazy(
                "The award of lot {number} (“{lot}”) of notice {reference} is final: {awardee} at {amount}. "
                "Your company is not awarded; its final rank: {rank} of {ranked}."
            )
        notify(company_users([bidder.company]), subject, body, url=url, rank=rank or "—", **common)
    staff_body = gettext_lazy(
        "The award of lot {number} (“{lot}”) of notice {reference} is final: {awardee} at {amount} "
        "(rank {rank} of {ranked}). Identities are now public, and so are the auction minutes."
    )
    notify(_staff(lot.tender), subject, staff_body, url=_url(award), rank=step.rank, **common)
    if lot.tender.practice:
        return  # nothing to pay: no accountant hears of a practice award
    notify(
        _accountant_users(lot.tender.buyer),
        gettext_lazy("A final award to control: lot {number} of {reference}"),
        gettext_lazy(
            "The award of lot {number} (“{lot}”) of notice {reference} to {awardee} at {amount} is final. "
            "It waits for your visa on the commitment."
        ),
        url=reverse("awards:accountant_award", args=[award.pk]),
        **common,
    )


# The accountant -----------------------------------------------------------------------------------------


def verify(membership, award: Award):
    """Run the stand-alone verifier on the lot's exported ledger, with the platform's key, and audit it."""
    from seei.auctions.selectors import ledger_document
    from seei.auctions.signing import private_key
    from seei.auctions.verify import verify_ledger

    report = verify_ledger(
        ledger_document(selectors.room_of(award)), public_key=private_key().public_key(), require_log=True
    )
    audit.record(
        "award.ledger_verified",
        award,
        getattr(membership, "user", None),
        getattr(membership, "organisation", None),
        ok=report.ok,
        winner=report.winner,
        errors=report.errors[:20],
    )
    return report


def _commitment_errors(award: Award, amount, budget_line: str, committed_on) -> tuple[dict, Decimal | None]:
    """The commitment a granted visa needs: an amount within the award, a budget line, a date not
    in the future. Returns (errors by field, the amount read)."""
    errors: dict[str, list] = {}
    value = None
    if amount in (None, ""):
        errors["commitment_amount"] = [_("Give the committed amount.")]
    else:
        try:
            value = amounts.parse(amount)
        except ValidationError as error:
            errors["commitment_amount"] = error.messages
        else:
            if value <= 0:
                errors["commitment_amount"] = [_("The committed amount must be more than zero.")]
            elif value > award.amount:
                errors["commitment_amount"] = [
                    _("The committed amount (%(amount)s) cannot exceed the awarded amount (%(awarded)s).")
                    % {
                        "amount": reasons.format_amount(value, award.currency, get_language()),
                        "awarded": reasons.format_amount(award.amount, award.currency, get_language()),
                    }
                ]
    if not budget_line:
        errors["budget_line"] = [_("Give the budget line the commitment is charged to.")]
    elif len(budget_line) > 120:
        errors["budget_line"] = [_("The budget line is 120 characters at most.")]
    if not isinstance(committed_on, date):
        errors["committed_on"] = [_("Give the commitment date.")]
    elif committed_on > clock.today():
        errors["committed_on"] = [_("A commitment cannot be dated in the future.")]
    return errors, value


def give_visa(
    membership,
    award: Award,
    decision: str,
    reason: str = "",
    *,
    commitment_amount=None,
    budget_line: str = "",
    committed_on: date | None = None,
) -> Visa:
    """Grant or refuse the visa on the commitment of a final award (a refusal says why). A visa is
    granted with its commitment (amount, budget line, date), never more than the awarded amount."""
    reason = (reason or "").strip()
    budget_line = (budget_line or "").strip()
    with transaction.atomic():
        award = _lock(award)
        _require_accountant_of(membership, award, _("give the visa of this award"))
        if award.status != Award.Status.FINAL:
            raise TenderError(_("The visa is given on a final award."))
        if decision not in Visa.Decision.values:
            raise TenderError({"decision": [_("Choose whether the visa is granted or refused.")]})
        if decision == Visa.Decision.REFUSED and not reason:
            raise TenderError({"reason": [_("Say why the visa is refused: the buyer is told the reason.")]})
        current = award.visa()
        if current is not None and current.decision == Visa.Decision.GRANTED:
            raise TenderError(
                _("The visa was already granted on %(when)s.") % {"when": when(current.decided_at)}
            )
        granted = decision == Visa.Decision.GRANTED
        if granted:
            errors, committed = _commitment_errors(award, commitment_amount, budget_line, committed_on)
            if errors:
                raise TenderError(errors)
        now = clock.now()
        visa = Visa.objects.create(
            award=award,
            decision=decision,
            reason=reason,
            decided_by=membership.user,
            accountant_post=membership.organisation,
            decided_at=now,
        )
        commitment_data = {}
        if granted:
            commitment = Commitment.objects.create(
                award=award,
                visa=visa,
                amount=committed,
                budget_line=budget_line,
                committed_on=committed_on,
                recorded_by=membership.user,
                accountant_post=membership.organisation,
                recorded_at=now,
            )
            commitment_data = {
                "commitment": {
                    "amount": rules.format_decimal(commitment.amount),
                    "budget_line": budget_line,
                    "committed_on": committed_on.isoformat(),
                }
            }
        audit.record(
            "award.visa",
            award,
            membership.user,
            membership.organisation,
            decision=decision,
            reason=reason,
            **commitment_data,
        )
        ocds.step_happened(award.lot.tender_id)
        notify(
            _buyer_users(award.lot.tender),
            gettext_lazy("Visa granted: lot {number} of {reference}")
            if granted
            else gettext_lazy("Visa refused: lot {number} of {reference}"),
            gettext_lazy(
                "The accountant ({post}) granted the visa on the commitment of lot {number} of {reference}."
            )
            if granted
            else gettext_lazy(
                "The accountant ({post}) refused the visa on the commitment of lot {number} of {reference}: {reason}"
            ),
            url=_url(award),
            post=membership.organisation.name,
            reason=reason,
            **_common(award),
        )
    return visa


def _amount(value) -> Decimal:
    try:
        return amounts.parse(value)
    except ValidationError as error:
        raise TenderError({"amount": error.messages}) from None


def record_payment(membership, award: Award, paid_on: date, amount, reference: str) -> Payment:
    """A payment against a final award with its visa; the total never exceeds the committed amount
    (checked under the award's row lock, so two accountants at once cannot overpay)."""
    amount = _amount(amount)
    reference = (reference or "").strip()
    errors = {}
    if not reference:
        errors["reference"] = [_("Give the payment's reference (order or transfer number).")]
    if not isinstance(paid_on, date):
        errors["paid_on"] = [_("Give the payment date.")]
    elif paid_on > clock.today():
        errors["paid_on"] = [_("A payment cannot be recorded in the future.")]
    if errors:
        raise TenderError(errors)
    with transaction.atomic():
        award = _lock(award)
        _require_accountant_of(membership, award, _("record a payment on this award"))
        visa = award.visa()
        if award.status != Award.Status.FINAL or visa is None or visa.decision != Visa.Decision.GRANTED:
            raise TenderError(_("Payments are recorded once the visa on the commitment is granted."))
        if amount <= 0:
            raise TenderError({"amount": [_("A payment is more than zero: a correction is a reversal.")]})
        committed = award.committed()
        remaining = committed - award.paid()
        if amount > remaining:
            raise TenderError(
                {
                    "amount": [
                        _(
                            "This payment of %(amount)s is more than what remains to be paid (%(remaining)s of "
                            "the committed %(committed)s)."
                        )
                        % {
                            "amount": reasons.format_amount(amount, award.currency, get_language()),
                            "remaining": reasons.format_amount(remaining, award.currency, get_language()),
                            "committed": reasons.format_amount(committed, award.currency, get_language()),
                        }
                    ]
                }
            )
        payment = Payment.objects.create(
            award=award,
            paid_on=paid_on,
            amount=amount,
            reference=reference[:80],
            recorded_by=membership.user,
            accountant_post=membership.organisation,
            recorded_at=clock.now(),
        )
        audit.record(
            "award.payment",
            award,
            membership.user,
            membership.organisation,
            amount=rules.format_decimal(amount),
            reference=reference,
            paid_on=paid_on.isoformat(),
            remaining=rules.format_decimal(remaining - amount),
        )
        ocds.step_happened(award.lot.tender_id)
        notify(
            _buyer_users(award.lot.tender),
            gettext_lazy("Payment recorded: lot {number} of {reference}"),
            gettext_lazy(
                "The accountant ({post}) recorded a payment of {amount} on lot {number} of {reference}; "
                "{remaining} remains to be paid."
            ),
            url=_url(award),
            post=membership.organisation.name,
            amount=LocalAmount(amount, award.currency),
            remaining=LocalAmount(remaining - amount, award.currency),
            **_common(award),
        )
    return payment


def reverse_payment(membership, award: Award, payment_id, reason: str) -> Payment:
    """Cancel a payment by a reversing entry: a new row of the opposite amount that names the payment
    and says why (payments are never changed nor deleted). The right payment is then recorded anew."""
    reason = (reason or "").strip()
    if not reason:
        raise TenderError({"reason": [_("Say why the payment is reversed: it stays in the account book.")]})
    with transaction.atomic():
        award = _lock(award)
        _require_accountant_of(membership, award, _("reverse a payment of this award"))
        payment = Payment.objects.filter(pk=payment_id, award=award).first()
        if payment is None:
            raise TenderError(_("This payment is not one of this award."))
        if payment.is_reversal:
            raise TenderError(_("A reversal cannot be reversed: record the payment again instead."))
        if Payment.objects.filter(reverses=payment).exists():
            raise TenderError(
                _("Payment %(reference)s is already reversed.") % {"reference": payment.reference}
            )
        now = clock.now()
        reversal = Payment.objects.create(
            award=award,
            paid_on=localtime(now).date(),
            amount=-payment.amount,
            reference=payment.reference,
            reverses=payment,
            reason=reason,
            recorded_by=membership.user,
            accountant_post=membership.organisation,
            recorded_at=now,
        )
        remaining = award.committed() - award.paid()
        audit.record(
            "award.payment_reversed",
            award,
            membership.user,
            membership.organisation,
            payment=payment.pk,
            amount=rules.format_decimal(reversal.amount),
            reference=payment.reference,
            reason=reason,
            remaining=rules.format_decimal(remaining),
        )
        ocds.step_happened(award.lot.tender_id)
        notify(
            _buyer_users(award.lot.tender),
            gettext_lazy("Payment reversed: lot {number} of {reference}"),
            gettext_lazy(
                "The accountant ({post}) reversed the payment {payment} of {amount} on lot {number} of "
                "{reference}: {reason}. {remaining} remains to be paid."
            ),
            url=_url(award),
            post=membership.organisation.name,
            payment=payment.reference,
            amount=LocalAmount(payment.amount, award.currency),
            remaining=LocalAmount(remaining, award.currency),
            reason=reason,
            **_common(award),
        )
    return reversal


# The worker: a candidate whose documents deadline passed lapses ----------------------------------------------

LAPSE_REASON = gettext_lazy("documents not submitted before the deadline")


def lapse(step_id: int) -> bool:
    """Fail the candidate of ``step_id`` if its documents deadline passed without documents, and ask
    the next rank, as the commission's ``fail`` would. Skips an award another worker holds (it will
    be seen at the next sweep); does nothing if the step moved on. Returns whether it lapsed."""
    with transaction.atomic():
        award = (
            Award.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("lot__tender__buyer")
            .filter(steps__pk=step_id)
            .first()
        )
        if award is None:
            return False  # locked by a worker or a commission member right now
        step = AwardStep.objects.filter(pk=step_id, award=award).first()
        now = clock.now()
        if step is None or step.status != AwardStep.Status.REQUESTED or now <= step.documents_deadline:
            return False
        with translation.override(award.lot.tender.original_language):
            reason = str(LAPSE_REASON)  # stored and printed in the notice's language
        _fail_step(award, step, reason, now, told=LAPSE_REASON)
        audit.record(
            "award.candidate_lapsed", award, rank=step.rank, deadline=step.documents_deadline.isoformat()
        )
    return True


def lapse_overdue_candidates() -> int:
    """Every candidate past its documents deadline without documents (a practice one too: the rehearsal
    shows what will happen); returns how many lapsed."""
    due = AwardStep.objects.filter(status=AwardStep.Status.REQUESTED, documents_deadline__lt=clock.now())
    return sum(
        lapse(step_id) for step_id in list(due.order_by("documents_deadline").values_list("pk", flat=True))
    )
