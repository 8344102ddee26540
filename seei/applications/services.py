"""State changes of phase 1: applications, the commission, its decisions, the invitations.

Every function checks the rules and raises ``TenderError`` with a message for the user; nothing
is changed when it does. Deadlines are decided by ``seei.core.clock.now()`` read inside the
transaction, after the notice's row is locked, whatever the page showed. Notifications leave
after commit (``seei.alerts.services.notify``).
"""

import hashlib
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.accounts.models import Membership, Role, User
from seei.alerts.services import LocalTime, company_users, notify
from seei.applications import quorum, receipts, sealing
from seei.applications.minutes import admission_minutes_pdf
from seei.applications.models import (
    MIN_ADMITTED,
    MIN_APPLICATIONS,
    Application,
    ApplicationDocument,
    CommissionMember,
    Decision,
    DocumentRequest,
    Examination,
    Invitation,
    Minutes,
    Receipt,
    Vote,
)
from seei.auctions.services import prepare_room
from seei.core import audit, clock
from seei.core.uploads import validate_document
from seei.ocds import hooks as ocds
from seei.tenders import requirements, schedule
from seei.tenders.errors import TenderError
from seei.tenders.models import Interest, Lot, Tender
from seei.tenders.services import record_interest

Kind = ApplicationDocument.Kind


def when(moment) -> str:
    return str(LocalTime(moment))


# Who ------------------------------------------------------------------------------------------


def _require_company(membership):
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        raise TenderError(_("Only a company member can apply to a notice."))
    if membership.organisation.pending:  # its ICE is not checked yet: it may not be someone else's
        raise TenderError(
            _(
                "Your company is awaiting the check of its identifier (ICE) by the platform "
                "administration: it can apply once it is approved."
            )
        )


def _require_buyer(membership, tender):
    if membership is None or membership.role != Role.BUYER_AGENT:
        raise TenderError(_("Only a buyer agent can do this."))
    if tender.buyer_id != membership.organisation_id:
        raise TenderError(_("This notice belongs to another organisation."))


def is_commission_member(membership, tender) -> bool:
    return (
        membership is not None
        and membership.role == Role.COMMISSION_MEMBER
        and CommissionMember.objects.filter(tender=tender, membership=membership).exists()
    )


def _require_commission(membership, tender):
    if not is_commission_member(membership, tender):
        raise TenderError(_("Only a member of this notice's commission can do this."))


def is_president(membership, tender) -> bool:
    return (
        is_commission_member(membership, tender)
        and CommissionMember.objects.filter(tender=tender, membership=membership, is_president=True).exists()
    )


def _require_president(membership, tender):
    _require_commission(membership, tender)
    if not is_president(membership, tender):
        raise TenderError(_("Only the president of the commission can open or close the session."))


def _seat_of(membership, tender) -> CommissionMember:
    """The member's seat, if it declared no conflict of interest: else it takes no part in decisions."""
    _require_commission(membership, tender)
    member = CommissionMember.objects.select_related("declaration").get(tender=tender, membership=membership)
    declaration = getattr(member, "declaration", None)
    if declaration is None:
        raise TenderError(_("Declare first whether you have a conflict of interest with this notice."))
    if declaration.conflict:
        raise TenderError(
            _("You declared a conflict of interest: you take no part in this notice's decisions.")
        )
    return member


def _require_after_deadline(tender, now):
    if now < tender.application_deadline:
        raise TenderError(
            _("The applications stay sealed until the application deadline (%(deadline)s).")
            % {"deadline": when(tender.application_deadline)}
        )


def _lock(tender) -> Tender:
    return Tender.objects.select_for_update().get(pk=tender.pk)


# Applying ---------------------------------------------------------------------------------------


def _require_open(tender, now):
    if tender.status != Tender.Status.PUBLISHED:
        raise TenderError(_("This notice is not open for applications."))
    if now >= tender.application_deadline:
        raise TenderError(
            _("The application deadline passed on %(deadline)s: applications and changes are closed.")
            % {"deadline": when(tender.application_deadline)}
        )


def _chosen_lots(tender, lots, errors) -> list[Lot]:
    ids = []
    for lot in lots or []:
        try:
            ids.append(int(getattr(lot, "pk", lot)))
        except (TypeError, ValueError):
            errors.setdefault("lots", []).append(_("“%(value)s” is not a lot.") % {"value": lot})
    found = {lot.pk: lot for lot in tender.lots.filter(pk__in=ids)}
    for lot_id in ids:
        if lot_id not in found:
            errors.setdefault("lots", []).append(
                _("Lot %(id)s is not a lot of notice %(reference)s.")
                % {"id": lot_id, "reference": tender.reference}
            )
    if not ids and "lots" not in errors:
        errors["lots"] = [_("Choose at least one lot.")]
    return sorted(found.values(), key=lambda lot: lot.number)


def _prepared(documents, errors) -> list[sealing.Prepared]:
    """Check each (kind, upload) by its content, then hash and encrypt it (before any lock)."""
    prepared = []
    for kind, upload in documents or []:
        field = kind if kind in Kind.values else "documents"
        if kind not in Kind.values:
            errors.setdefault(field, []).append(_("Unknown kind of document: %(kind)s.") % {"kind": kind})
            continue
        try:
            content_type = validate_document(upload)
        except ValidationError as error:
            errors.setdefault(field, []).extend(
                f"{upload.name}: {message}" if upload.name not in message else message
                for message in error.messages
            )
            continue
        prepared.append(sealing.prepare(kind, upload, content_type))
    return prepared


def _require_both_kinds(kinds: set, errors, tender):
    required = requirements.application_documents(tender)  # the kinds the notice asks for
    if Kind.ADMINISTRATIVE not in kinds and Kind.ADMINISTRATIVE in required:
        errors.setdefault(Kind.ADMINISTRATIVE, []).append(_("Attach at least one administrative document."))
    if Kind.TECHNICAL not in kinds and Kind.TECHNICAL in required:
        errors.setdefault(Kind.TECHNICAL, []).append(_("Attach at least one technical document."))


def _store_documents(application, prepared, now):
    return [
        ApplicationDocument.objects.create(
            application=application,
            kind=item.kind,
            storage_name=sealing.store(item),
            name_sealed=item.sealed_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_at=now,
        )
        for item in prepared
    ]


def _issue_receipt(application, action, now, lots, documents) -> Receipt:
    number = (application.receipts.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    content = receipts.receipt_content(
        number=number, action=action, issued_at=now, application=application, lots=lots, documents=documents
    )
    return Receipt.objects.create(
        application=application,
        number=number,
        action=action,
        issued_at=now,
        content=content,
        sha256=receipts.digest(content),
    )


def _acknowledge(membership, application, action, now, lots, documents) -> Receipt:
    """Issue the receipt of a submission, change or withdrawal, audit it and tell the company."""
    receipt = _issue_receipt(application, action, now, lots, documents)
    audit.record(
        f"application.{action}",
        application,
        membership.user,
        membership.organisation,
        receipt=receipt.number,
        sha256=receipt.sha256,
    )
    _tell_company(application, receipt)
    return receipt


def _tell_company(application, receipt):
    notify(
        company_users([application.company]),
        gettext_lazy("{action}: {reference}"),
        gettext_lazy(
            "Receipt no. {number} for notice {reference}, issued on {at}. Fingerprint (SHA-256): {sha256}"
        ),
        url=reverse("applications:receipt", args=[receipt.pk]),
        action=receipt.get_action_display(),
        reference=application.tender.reference,
        number=receipt.number,
        at=LocalTime(receipt.issued_at),
        sha256=receipt.sha256,
    )


def apply(membership, tender, *, lots, documents, declaration: bool) -> Receipt:
    """Submit an application: lots, (kind, upload) documents, the declaration on honour."""
    _require_company(membership)
    _require_open(tender, clock.now())  # early answer; the decisive check is under the lock below
    errors = {}
    if not declaration:
        errors["declaration"] = [_("You must accept the declaration on honour.")]
    chosen = _chosen_lots(tender, lots, errors)
    prepared = _prepared(documents, errors)
    if not any(field in errors for field in (*Kind.values, "documents")):  # a refused file says enough
        _require_both_kinds({item.kind for item in prepared}, errors, tender)
    if errors:
        raise TenderError(errors)
    with transaction.atomic():
        tender = _lock(tender)
        now = clock.now()
        _require_open(tender, now)
        application = Application.objects.filter(tender=tender, company=membership.organisation).first()
        if application is not None and application.status == Application.Status.SUBMITTED:
            raise TenderError(
                _("Your company has already applied to this notice: change its application instead.")
            )
        if application is None:
            application = Application(tender=tender, company=membership.organisation)
        application.status = Application.Status.SUBMITTED
        application.declaration = True
        application.submitted_by = membership.user
        application.submitted_at = application.updated_at = now
        application.save()
        application.lots.set(chosen)
        documents = _store_documents(application, prepared, now)
        receipt = _acknowledge(membership, application, Receipt.Action.SUBMITTED, now, chosen, documents)
        record_interest(tender, membership.organisation, Interest.Kind.APPLICATION)
    return receipt


def _own_active_application(membership, tender) -> Application:
    application = (
        Application.objects.select_for_update()
        .filter(tender=tender, company=membership.organisation, status=Application.Status.SUBMITTED)
        .first()
    )
    if application is None:
        raise TenderError(_("Your company has no application to this notice."))
    return application


def change(membership, tender, *, lots=None, documents=(), remove=(), declaration: bool) -> Receipt:
    """Change an application before the deadline: its lots, new documents, documents taken out."""
    _require_company(membership)
    _require_open(tender, clock.now())
    errors = {}
    if not declaration:
        errors["declaration"] = [_("You must accept the declaration on honour.")]
    chosen = _chosen_lots(tender, lots, errors) if lots is not None else None
    prepared = _prepared(documents, errors)
    if errors:
        raise TenderError(errors)
    with transaction.atomic():
        tender = _lock(tender)
        now = clock.now()
        _require_open(tender, now)
        application = _own_active_application(membership, tender)
        current = {d.pk: d for d in application.documents.filter(replaced_at=None)}
        remove_ids = set()
        for value in remove or []:
            pk = getattr(value, "pk", value)
            if pk not in current:
                errors.setdefault("remove", []).append(
                    _("Document %(id)s is not a current document of your application.") % {"id": pk}
                )
            remove_ids.add(pk)
        kept = [d for pk, d in current.items() if pk not in remove_ids]
        _require_both_kinds({d.kind for d in kept} | {item.kind for item in prepared}, errors, tender)
        old_lots = sorted(application.lots.all(), key=lambda lot: lot.number)
        same_lots = chosen is None or [lot.pk for lot in chosen] == [lot.pk for lot in old_lots]
        if not errors and same_lots and not prepared and not remove_ids:
            errors["__all__"] = [_("This change changes nothing.")]
        if errors:
            raise TenderError(errors)
        ApplicationDocument.objects.filter(pk__in=remove_ids).update(replaced_at=now)
        if chosen is not None:
            application.lots.set(chosen)
        new_documents = _store_documents(application, prepared, now)
        application.updated_at = now
        application.save(update_fields=["updated_at"])
        lots_now = chosen if chosen is not None else old_lots
        receipt = _acknowledge(
            membership, application, Receipt.Action.CHANGED, now, lots_now, kept + new_documents
        )
    return receipt


def withdraw(membership, tender) -> Receipt:
    _require_company(membership)
    _require_open(tender, clock.now())
    with transaction.atomic():
        tender = _lock(tender)
        now = clock.now()
        _require_open(tender, now)
        application = _own_active_application(membership, tender)
        documents = list(application.documents.filter(replaced_at=None))
        lots = list(application.lots.all())
        application.documents.filter(replaced_at=None).update(replaced_at=now)
        application.status = Application.Status.WITHDRAWN
        application.updated_at = now
        application.save(update_fields=["status", "updated_at"])
        # The receipt lists what was withdrawn; a later application starts from an empty file.
        receipt = _acknowledge(membership, application, Receipt.Action.WITHDRAWN, now, lots, documents)
    return receipt


def open_document(membership, document) -> tuple[str, str, bytes]:
    """Decrypt a sealed document whose access the caller checked (selectors); every opening is audited.

    Returns (original name, content type, content)."""
    audit.record(
        "application.document_opened",
        document,
        membership.user,
        membership.organisation,
        role=membership.role,
        application=document.application_id,
        sha256=document.sha256,
    )
    return sealing.original_name(document), document.content_type, sealing.read(document)


# The commission ---------------------------------------------------------------------------------------


@transaction.atomic
def name_commission(membership, tender, members, president=None) -> list[CommissionMember]:
    """The buyer names (or renames) the commission of its notice, until the applications are opened."""
    tender = _lock(tender)
    _require_buyer(membership, tender)
    if Examination.objects.filter(tender=tender).exists():
        raise TenderError(_("The applications are open: the commission can no longer change."))
    ids = {int(getattr(member, "pk", member)) for member in members or []}
    if not ids:
        raise TenderError({"members": [_("Name at least one commission member.")]})
    chosen = {
        m.pk: m
        for m in Membership.objects.select_related("user").filter(
            pk__in=ids, role=Role.COMMISSION_MEMBER, organisation=tender.buyer, user__is_active=True
        )
    }
    errors = [
        _("Membership %(id)s is not a commission member of %(organisation)s.")
        % {"id": pk, "organisation": tender.buyer}
        for pk in sorted(ids - set(chosen))
    ]
    if not tender.practice:  # a practice buyer rehearses both parts; a real one never holds both
        errors += [
            _("%(person)s is also a buyer agent of %(organisation)s and cannot sit on its commission.")
            % {"person": chosen[pk].user, "organisation": tender.buyer}
            for pk in sorted(chosen)
            if chosen[pk].holds_the_other_separated_role()
        ]
    president_id = int(getattr(president, "pk", president)) if president else None
    if president_id and president_id not in chosen:
        errors.append(_("The president must be one of the members."))
    if errors:
        raise TenderError({"members": errors})
    before = set(CommissionMember.objects.filter(tender=tender).values_list("membership_id", flat=True))
    CommissionMember.objects.filter(tender=tender).exclude(membership_id__in=chosen).delete()
    for pk in chosen:
        CommissionMember.objects.update_or_create(
            tender=tender, membership_id=pk, defaults={"is_president": pk == president_id}
        )
    audit.record(
        "application.commission_named",
        tender,
        membership.user,
        membership.organisation,
        members=sorted(chosen),
        president=president_id,
    )
    newcomers = [chosen[pk].user for pk in chosen if pk not in before]
    notify(
        newcomers,
        gettext_lazy("You are a member of the commission of {reference}"),
        gettext_lazy(
            "{buyer} named you to the commission that will examine the applications to “{title}”. "
            "They can be opened after {deadline}."
        ),
        url=reverse("applications:examination", args=[tender.pk]),
        reference=tender.reference,
        buyer=tender.buyer.name,
        title=tender.title,
        deadline=LocalTime(tender.application_deadline),
    )
    return list(CommissionMember.objects.filter(tender=tender).select_related("membership__user"))


def _active_applications(tender):
    return Application.objects.filter(tender=tender, status=Application.Status.SUBMITTED)


def _buyer_users(tender):
    return User.objects.filter(
        is_active=True, memberships__organisation=tender.buyer, memberships__role=Role.BUYER_AGENT
    ).distinct()


def _commission_users(tender):
    return User.objects.filter(
        is_active=True, memberships__in=CommissionMember.objects.filter(tender=tender).values("membership")
    ).distinct()


UNSUCCESSFUL_WHY = {
    "too_few_applications": gettext_lazy("fewer than {minimum} applications were received"),
    "too_few_admitted": gettext_lazy("fewer than {minimum} companies were admitted"),
}


def _declare_unsuccessful(lot, why: str, membership, *, applications: int, admitted: int | None = None):
    lot.status = Lot.Status.UNSUCCESSFUL
    lot.save(update_fields=["status"])
    ocds.step_happened(lot.tender_id)
    minimum = MIN_APPLICATIONS if why == "too_few_applications" else MIN_ADMITTED
    audit.record(
        "lot.unsuccessful",
        lot,
        membership.user,
        membership.organisation,
        reason=why,
        applications=applications,
        admitted=admitted,
        minimum=minimum,
    )
    tender = lot.tender
    applicants = _active_applications(tender).filter(lots=lot).values("company")
    notify(
        [*company_users(applicants), *_buyer_users(tender)],
        gettext_lazy("Lot {number} of {reference} is unsuccessful"),
        gettext_lazy(
            "Lot {number} (“{lot}”) of notice {reference} is declared unsuccessful: {why}. "
            "No auction room will open for it."
        ),
        url=reverse("portal:tender", args=[tender.pk]),
        number=lot.number,
        lot=lot.title,
        reference=tender.reference,
        why=_Formatted(UNSUCCESSFUL_WHY[why], minimum=minimum),
    )


class _Formatted:
    """A lazy translatable text with its own placeholders, rendered in the recipient's language."""

    def __init__(self, text, **params):
        self.text, self.params = text, params

    def __str__(self):
        return str(self.text).format(**self.params)


def open_examination(membership, tender) -> Examination:
    """After the deadline, the president opens the applications, once a quorum of members declared
    no conflict of interest. Lots with fewer than
    ``MIN_APPLICATIONS`` applications become unsuccessful at once."""
    with transaction.atomic():
        tender = _lock(tender)
        _require_president(membership, tender)
        now = clock.now()
        _require_after_deadline(tender, now)
        if tender.status != Tender.Status.PUBLISHED:
            raise TenderError(_("This notice is not published."))
        if Examination.objects.filter(tender=tender).exists():
            raise TenderError(_("The applications of this notice are already open."))
        seated, needed = quorum.seated(tender).count(), quorum.quorum(quorum.commission_size(tender))
        if seated < needed:
            raise TenderError(
                _(
                    "The session cannot open: %(needed)s members must first declare that they have no "
                    "conflict of interest (%(seated)s so far)."
                )
                % {"needed": needed, "seated": seated}
            )
        examination = Examination.objects.create(tender=tender, opened_at=now, opened_by=membership.user)
        counts = {lot.pk: 0 for lot in tender.lots.all()}
        for lot_id in _active_applications(tender).values_list("lots", flat=True):
            if lot_id in counts:
                counts[lot_id] += 1
        for lot in tender.lots.order_by("number"):
            if counts[lot.pk] < MIN_APPLICATIONS:
                _declare_unsuccessful(lot, "too_few_applications", membership, applications=counts[lot.pk])
            else:
                lot.status = Lot.Status.EXAMINATION
                lot.save(update_fields=["status"])
        audit.record(
            "application.examination_opened",
            tender,
            membership.user,
            membership.organisation,
            applications=_active_applications(tender).count(),
            present=sorted(quorum.seated(tender).values_list("membership_id", flat=True)),
        )
    return examination


def _open_session(tender) -> Examination:
    examination = Examination.objects.filter(tender=tender).first()
    if examination is None:
        raise TenderError(_("Open the applications first."))
    if examination.is_closed:
        raise TenderError(_("The session is closed: the decisions are final."))
    return examination


def decide(membership, application, decisions) -> list[Vote]:
    """A member's vote to admit or exclude an application on each of its lots: ``decisions`` is a
    list of (lot, outcome, reason); a reason is required for every exclusion. Each vote carries, as
    ``decision``, the commission's outcome so far (``_tally``)."""
    with transaction.atomic():
        tender = _lock(application.tender)
        _require_commission(membership, tender)
        now = clock.now()
        _require_after_deadline(tender, now)
        _open_session(tender)
        member = _seat_of(membership, tender)
        application = Application.objects.filter(pk=application.pk, tender=tender).first()
        if application is None or application.status != Application.Status.SUBMITTED:
            raise TenderError(_("This application was withdrawn or does not belong to this notice."))
        lots = {lot.pk: lot for lot in application.lots.all()}
        errors = {}
        cleaned = []
        for lot, outcome, reason in decisions or []:
            lot_id = int(getattr(lot, "pk", lot))
            field = f"lot_{lot_id}"
            if lot_id not in lots:
                errors.setdefault(field, []).append(
                    _("This application is not for lot %(id)s.") % {"id": lot_id}
                )
                continue
            lot = lots[lot_id]
            reason = (reason or "").strip()
            if lot.status != Lot.Status.EXAMINATION:
                errors.setdefault(field, []).append(
                    _("Lot %(number)s is not under examination (%(status)s): there is nothing to decide.")
                    % {"number": lot.number, "status": lot.get_status_display()}
                )
            elif outcome not in Decision.Outcome.values:
                errors.setdefault(field, []).append(_("Choose admitted or excluded."))
            elif outcome == Decision.Outcome.EXCLUDED and not reason:
                errors.setdefault(field, []).append(
                    _("Lot %(number)s: give the reason for the exclusion.") % {"number": lot.number}
                )
            else:
                cleaned.append((lot, outcome, reason))
        if not errors and not cleaned:
            errors["__all__"] = [_("Decide on at least one lot.")]
        if errors:
            raise TenderError(errors)
        saved = []
        for lot, outcome, reason in cleaned:
            vote, _created = Vote.objects.update_or_create(
                application=application,
                lot=lot,
                member=member,
                defaults={
                    "outcome": outcome,
                    "reason": reason if outcome == Decision.Outcome.EXCLUDED else "",
                    "voted_at": now,
                },
            )
            audit.record(
                "application.voted",
                application,
                membership.user,
                membership.organisation,
                lot=lot.number,
                outcome=outcome,
                reason=vote.reason,
            )
            decision = _tally(application, lot, now)
            vote.decision = decision  # the commission's outcome so far (None: no majority yet)
            saved.append(vote)
    return saved


def _tally(application, lot, now) -> Decision | None:
    """The ``Decision`` follows the votes: the majority once a quorum voted, the president's vote in
    a tie; no decision (removed if there was one) while neither holds."""
    president_id = (
        CommissionMember.objects.filter(tender=application.tender_id, is_president=True)
        .values_list("pk", flat=True)
        .first()
    )
    votes = (
        Vote.objects.filter(application=application, lot=lot)
        .select_related("member__tender", "member__membership__user")
        .order_by("voted_at", "id")
    )
    result, carrying = quorum.outcome(votes, president_id)
    if result is None:
        Decision.objects.filter(application=application, lot=lot).delete()
        return None
    reasons = []
    for vote in votes:
        if vote.outcome == result and vote.reason and vote.reason not in reasons:
            reasons.append(vote.reason)
    decision, _created = Decision.objects.update_or_create(
        application=application,
        lot=lot,
        defaults={
            "outcome": result,
            "reason": "\n".join(reasons) if result == Decision.Outcome.EXCLUDED else "",
            "decided_by": carrying.member.membership.user,
            "decided_at": now,
        },
    )
    audit.record(
        "application.decided",
        application,
        carrying.member.membership.user,
        carrying.member.membership.organisation,
        lot=lot.number,
        outcome=result,
        reason=decision.reason,
        votes={str(v.member.membership_id): v.outcome for v in votes},
    )
    return decision


def missing_decisions(tender) -> list[tuple[Application, Lot]]:
    """(application, lot) pairs still to decide: each active application on each of its lots under examination."""
    decided = set(Decision.objects.filter(application__tender=tender).values_list("application_id", "lot_id"))
    missing = []
    for application in _active_applications(tender).prefetch_related("lots").select_related("company"):
        for lot in application.lots.all():
            if lot.status == Lot.Status.EXAMINATION and (application.pk, lot.pk) not in decided:
                missing.append((application, lot))
    return missing


def close_examination(membership, tender) -> Minutes:
    """The president makes the decisions final: unsuccessful lots, invitations, notices to everyone,
    the minutes (then approved by each member, ``seei.applications.session.approve_minutes``)."""
    with transaction.atomic():
        tender = _lock(tender)
        _require_president(membership, tender)
        now = clock.now()
        _require_after_deadline(tender, now)
        examination = _open_session(tender)
        awaited = (
            DocumentRequest.objects.filter(
                application__tender=tender,
                application__status=Application.Status.SUBMITTED,
                supplied_at=None,
                deadline__gte=now,
            )
            .order_by("-deadline")
            .first()
        )
        if awaited is not None:
            raise TenderError(
                _("A document requested from a candidate is awaited until %(deadline)s: close after that.")
                % {"deadline": when(awaited.deadline)}
            )
        missing = missing_decisions(tender)
        if missing:
            raise TenderError(
                _(
                    "Every application must be decided on each of its lots before the session closes: "
                    "%(count)s decision(s) missing."
                )
                % {"count": len(missing)}
            )
        examination.closed_at = now
        examination.closed_by = membership.user
        examination.save(update_fields=["closed_at", "closed_by"])
        decisions = Decision.objects.filter(
            application__tender=tender, application__status=Application.Status.SUBMITTED
        ).select_related("application__company", "lot")
        admitted = defaultdict(list)
        for decision in decisions:
            if decision.outcome == Decision.Outcome.ADMITTED:
                admitted[decision.lot_id].append(decision.application.company)
            else:
                _tell_excluded(decision)
        applications_per_lot = defaultdict(int)
        for lot_id in _active_applications(tender).values_list("lots", flat=True):
            applications_per_lot[lot_id] += 1
        for lot in tender.lots.filter(status=Lot.Status.EXAMINATION).order_by("number"):
            companies = admitted[lot.pk]
            if len(companies) < MIN_ADMITTED:
                _declare_unsuccessful(
                    lot,
                    "too_few_admitted",
                    membership,
                    applications=applications_per_lot[lot.pk],
                    admitted=len(companies),
                )
            else:
                _invite(lot, companies, now, membership)
        audit.record("application.examination_closed", tender, membership.user, membership.organisation)
        minutes = _write_minutes(tender, now)
        audit.record(
            "application.minutes_generated",
            minutes,
            membership.user,
            membership.organisation,
            sha256=minutes.sha256,
        )
    return minutes


def _tell_excluded(decision):
    tender = decision.lot.tender
    notify(
        company_users([decision.application.company]),
        gettext_lazy("Your application to {reference} was excluded from lot {number}"),
        gettext_lazy(
            "The commission excluded your application to notice {reference} from lot {number}. "
            "Reason: {reason}"
        ),
        url=reverse("applications:mine"),
        reference=tender.reference,
        number=decision.lot.number,
        reason=decision.reason,
    )


def _ceil_minute(moment):
    rounded = moment.replace(second=0, microsecond=0)
    return rounded if rounded == moment else rounded + timedelta(minutes=1)


def _invite(lot, companies, now, membership):
    """Schedule the room and invite the admitted companies, at least the legal delay before it opens."""
    tender = lot.tender
    earliest = now + schedule.days(settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE, tender)
    moved_from = None
    if lot.opens_at < earliest:
        moved_from = lot.opens_at
        lot.opens_at = _ceil_minute(earliest)
    lot.status = Lot.Status.SCHEDULED
    lot.save(update_fields=["status", "opens_at"])
    prepare_room(lot, companies)  # the genesis: parameters and pseudonyms frozen now, hashed
    for company in companies:
        Invitation.objects.create(lot=lot, company=company, opens_at=lot.opens_at, sent_at=now)
    common = dict(
        number=lot.number, lot=lot.title, reference=tender.reference, opens_at=LocalTime(lot.opens_at)
    )
    moved_note = (
        _Formatted(
            gettext_lazy(
                " The opening was moved from {before} so that you are invited at least {days} days before."
            ),
            before=LocalTime(moved_from),
            days=settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE,
        )
        if moved_from
        else ""
    )
    notify(
        company_users(companies),
        gettext_lazy("Invitation to the auction room of lot {number} of {reference}"),
        gettext_lazy(
            "Your company is admitted to lot {number} (“{lot}”) of notice {reference}. "
            "The auction room opens on {opens_at}.{moved}"
        ),
        url=reverse("applications:mine"),
        moved=moved_note,
        **common,
    )
    if moved_from:
        audit.record(
            "lot.opening_moved",
            lot,
            membership.user,
            membership.organisation,
            before=moved_from.isoformat(),
            after=lot.opens_at.isoformat(),
        )
        notify(
            [*_buyer_users(tender), *_commission_users(tender)],
            gettext_lazy("The room of lot {number} of {reference} opens later"),
            gettext_lazy(
                "The examination ended less than {days} days before the planned opening: the auction "
                "room of lot {number} (“{lot}”) now opens on {opens_at} instead of {before}."
            ),
            url=reverse("applications:examination", args=[tender.pk]),
            before=LocalTime(moved_from),
            days=settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE,
            **common,
        )


def _write_minutes(tender, now) -> Minutes:
    data = admission_minutes_pdf(tender, now)
    minutes = Minutes(
        tender=tender, kind=Minutes.Kind.ADMISSION, sha256=hashlib.sha256(data).hexdigest(), generated_at=now
    )
    minutes.file.save("admission.pdf", ContentFile(data), save=False)
    minutes.save()
    return minutes
