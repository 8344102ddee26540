"""The commission's session around the decisions: the declarations of interest before the opening,
the requests for a missing document during the examination, the approval of the minutes after it.

Same conventions as ``seei.applications.services``: rules checked under the notice's row lock, a
``TenderError`` with a translated message and nothing changed, audited, notifications after commit.
"""

import hashlib
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.alerts.services import LocalTime, company_users, notify
from seei.applications import sealing
from seei.applications.minutes import admission_minutes_pdf
from seei.applications.models import (
    Application,
    ApplicationDocument,
    CommissionMember,
    DocumentRequest,
    Examination,
    InterestDeclaration,
    Minutes,
    MinutesApproval,
    Receipt,
)
from seei.applications.services import (
    _acknowledge,
    _commission_users,
    _lock,
    _open_session,
    _prepared,
    _require_commission,
    _seat_of,
    when,
)
from seei.core import audit, clock
from seei.tenders.errors import TenderError

Kind = ApplicationDocument.Kind


# Before the opening: the declarations ------------------------------------------------------------------


def declare_interests(membership, tender, *, conflict: bool, statement: str = "") -> InterestDeclaration:
    """A member declares it has no conflict of interest with the notice's candidates, or that it has
    one (then it takes no part in the decisions). Final once made, and only before the opening."""
    statement = (statement or "").strip()
    with transaction.atomic():
        tender = _lock(tender)
        _require_commission(membership, tender)
        if Examination.objects.filter(tender=tender).exists():
            raise TenderError(_("The session is open: declarations are made before the opening."))
        member = CommissionMember.objects.get(tender=tender, membership=membership)
        if InterestDeclaration.objects.filter(member=member).exists():
            raise TenderError(_("You have already made your declaration for this notice."))
        if conflict and not statement:
            raise TenderError({"statement": [_("Say briefly what the conflict of interest is.")]})
        declaration = InterestDeclaration.objects.create(
            member=member, conflict=conflict, statement=statement, declared_at=clock.now()
        )
        audit.record(
            "application.interest_declared",
            tender,
            membership.user,
            membership.organisation,
            conflict=conflict,
            statement=statement,
        )
    return declaration


# During the examination: a missing document --------------------------------------------------------------


def request_document(membership, application, description: str, deadline: datetime) -> DocumentRequest:
    """A seated member asks the candidate for a missing document, to upload by ``deadline``."""
    description = (description or "").strip()
    with transaction.atomic():
        tender = _lock(application.tender)
        _seat_of(membership, tender)
        _open_session(tender)
        application = Application.objects.filter(
            pk=application.pk, tender=tender, status=Application.Status.SUBMITTED
        ).first()
        if application is None:
            raise TenderError(_("This application was withdrawn or does not belong to this notice."))
        now = clock.now()
        errors = {}
        if not description:
            errors["description"] = [_("Say which document is missing.")]
        if deadline is None or deadline <= now:
            errors["deadline"] = [_("The deadline must be in the future.")]
        if errors:
            raise TenderError(errors)
        request = DocumentRequest.objects.create(
            application=application,
            description=description,
            deadline=deadline,
            requested_by=membership.user,
            requested_at=now,
        )
        audit.record(
            "application.document_requested",
            application,
            membership.user,
            membership.organisation,
            request=request.pk,
            description=description,
            deadline=deadline.isoformat(),
        )
        notify(
            company_users([application.company]),
            gettext_lazy("A document is requested for your application to {reference}"),
            gettext_lazy(
                "The commission examining notice {reference} asks your company for this document: "
                "{description}. Upload it through your application by {deadline}; after that date it "
                "can no longer be received."
            ),
            url=reverse("applications:apply", args=[tender.pk]),
            reference=tender.reference,
            description=description,
            deadline=LocalTime(deadline),
        )
    return request


def supply_document(membership, request: DocumentRequest, upload) -> Receipt:
    """The candidate uploads the requested document, sealed like the others, before the deadline."""
    errors = {}
    prepared = _prepared([(Kind.REQUESTED, upload)], errors)  # checked and encrypted before the lock
    if errors:
        raise TenderError({"file": errors.get(Kind.REQUESTED, [])})
    if not prepared:
        raise TenderError({"file": [_("Choose the file to upload.")]})
    with transaction.atomic():
        tender = _lock(request.application.tender)
        request = DocumentRequest.objects.select_for_update().get(pk=request.pk)
        application = Application.objects.select_related("company").get(pk=request.application_id)
        if (
            membership is None
            or membership.organisation_id != application.company_id
            or membership.role != "company_member"
        ):
            raise TenderError(_("Only a member of the candidate company can upload this document."))
        now = clock.now()
        if now > request.deadline:
            raise TenderError(
                _("The deadline for this document passed on %(deadline)s: it can no longer be uploaded.")
                % {"deadline": when(request.deadline)}
            )
        examination = Examination.objects.filter(tender=tender).first()
        if examination is None or examination.is_closed or application.status != Application.Status.SUBMITTED:
            raise TenderError(_("The examination of this application is over: nothing more can be uploaded."))
        request.documents.filter(replaced_at=None).update(replaced_at=now)  # a new version replaces it
        item = prepared[0]
        document = ApplicationDocument.objects.create(
            application=application,
            kind=item.kind,
            storage_name=sealing.store(item),
            name_sealed=item.sealed_name,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            uploaded_at=now,
            request=request,
        )
        request.supplied_at = now
        request.save(update_fields=["supplied_at"])
        receipt = _acknowledge(
            membership,
            application,
            Receipt.Action.COMPLETED,
            now,
            list(application.lots.all()),
            list(application.documents.filter(replaced_at=None)),
        )
        audit.record(
            "application.document_supplied",
            application,
            membership.user,
            membership.organisation,
            request=request.pk,
            document=document.pk,
            sha256=document.sha256,
        )
        notify(
            _commission_users(tender),
            gettext_lazy("The requested document arrived for {reference}"),
            gettext_lazy(
                "A candidate to notice {reference} uploaded the document you asked for: {description}."
            ),
            url=reverse("applications:examination", args=[tender.pk]),
            reference=tender.reference,
            description=request.description,
        )
    return receipt


def open_requests(application):
    return application.document_requests.order_by("requested_at", "id")


# After the close: the approval of the minutes --------------------------------------------------------------


def approve_minutes(membership, tender, reservation: str = "") -> MinutesApproval:
    """A seated member approves the admission minutes (with a reservation, if any); the minutes are
    written again with every approval so far, and their new hash recorded."""
    reservation = (reservation or "").strip()
    with transaction.atomic():
        tender = _lock(tender)
        member = _seat_of(membership, tender)
        examination = Examination.objects.filter(tender=tender).first()
        if examination is None or not examination.is_closed:
            raise TenderError(_("The minutes are approved once the session is closed."))
        if MinutesApproval.objects.filter(examination=examination, member=member).exists():
            raise TenderError(_("You have already approved these minutes."))
        now = clock.now()
        approval = MinutesApproval.objects.create(
            examination=examination, member=member, reservation=reservation, approved_at=now
        )
        previous = tender.minutes.filter(kind=Minutes.Kind.ADMISSION).first()
        data = admission_minutes_pdf(tender, now)
        minutes = Minutes(
            tender=tender,
            kind=Minutes.Kind.ADMISSION,
            sha256=hashlib.sha256(data).hexdigest(),
            generated_at=now,
        )
        minutes.file.save("admission.pdf", ContentFile(data), save=False)
        minutes.save()
        audit.record(
            "application.minutes_approved",
            minutes,
            membership.user,
            membership.organisation,
            reservation=reservation,
            sha256=minutes.sha256,
            replaces=previous.sha256 if previous else "",
            approvals=examination.approvals.count(),
        )
    return approval
