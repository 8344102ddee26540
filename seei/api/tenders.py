"""Notices: the public read side, the buyer's drafting and amending, and clarification requests.

Operations stay thin: they turn the JSON into the values ``seei.tenders.services`` expects,
let ``selectors`` decide who may touch which notice (403 for another organisation or role),
and let the services apply the rules of the procedure (400 with their message).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Status, UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from seei.accounts.models import Role
from seei.api.auth import AUTH, require_role
from seei.api.schemas import (
    AnswerIn,
    AskedClarification,
    BuyerClarification,
    BuyerNoticeFilters,
    CategoryOut,
    ErratumIn,
    ErratumOut,
    Input,
    LotDetail,
    LotIn,
    NoticeDetail,
    NoticeDocumentOut,
    NoticeFilters,
    NoticeIn,
    NoticePatch,
    NoticeSummary,
    QuestionIn,
    RegionOut,
)
from seei.core import clock
from seei.core.translated import make
from seei.tenders import search, selectors, services
from seei.tenders.models import Category, Clarification, Item, Lot, Region, Tender
from seei.tenders.services import ITEM_TEXTS

router = Router(tags=["notices"])

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # page × size stays far within the database's integers
TRANSLATED_NOTICE_FIELDS = ("title", "object", "delivery_terms")
# Operations that need someone; the role itself is checked inside (403, not 401).
AS_BUYER = {"auth": AUTH, "tags": ["buyer"]}
AS_COMPANY = {"auth": AUTH, "tags": ["company"]}

# From JSON to the values of the services, which check them (texts in the original language,
# the models' own field checks, the reference's uniqueness). Only what JSON alone brings is checked
# here: reference data named by its code.


def _translated(texts: dict | None, original: str):
    return make(original, **{code: text for code, text in (texts or {}).items() if text})


def _by_code(errors: dict, model, field: str, code: str):
    found = model.objects.filter(code=code).first()
    if found is None:
        errors[field] = [_("Unknown code “%(code)s”.") % {"code": code}]
    return found


def _notice_values(data: dict, original: str) -> dict:
    values, errors = {}, {}
    for field, value in data.items():
        if field in TRANSLATED_NOTICE_FIELDS:
            values[field] = _translated(value, original)
        elif field == "category":
            values[field] = _by_code(errors, Category, field, value)
        elif field == "region":
            values[field] = _by_code(errors, Region, field, value)
        else:
            values[field] = value
    if errors:
        raise ValidationError(errors)
    return values


def _with_texts(data: dict, fields, original: str) -> dict:
    return {**data, **{field: _translated(data[field], original) for field in fields if field in data}}


def _lot_input(tender: Tender, payload: LotIn) -> tuple[dict, list[dict]]:
    data = payload.dict()
    items = data.pop("items")
    original = tender.original_language
    return _with_texts(data, ["title"], original), [_with_texts(item, ITEM_TEXTS, original) for item in items]


def _own_lot(tender: Tender, lot_id: int) -> Lot:
    lot = tender.lots.filter(pk=lot_id).first()
    if lot is None:
        raise Http404(_("This lot does not exist."))
    return lot


def _filter_notices(queryset, filters: NoticeFilters):
    queryset = search.matching(queryset, filters.q)
    if filters.category:
        queryset = queryset.filter(
            Q(category__code=filters.category) | Q(category__parent__code=filters.category)
        )
    if filters.region:
        queryset = queryset.filter(region__code=filters.region)
    if filters.buyer:
        queryset = queryset.filter(buyer_id=filters.buyer)
    if filters.currency:
        queryset = queryset.filter(currency=filters.currency)
    if filters.closing_before:
        queryset = queryset.filter(application_deadline__date__lte=filters.closing_before)
    if filters.closing_after:
        queryset = queryset.filter(application_deadline__date__gte=filters.closing_after)
    if filters.status == "open":
        queryset = queryset.filter(application_deadline__gt=clock.now())
    elif filters.status == "closed":
        queryset = queryset.filter(application_deadline__lte=clock.now())
    elif filters.status:
        queryset = queryset.filter(pk__in=Lot.objects.filter(status=filters.status).values("tender_id"))
    return queryset


class DocumentIn(Input):
    title: str = Field("", max_length=255)  # TenderDocument.title, as the page's form


class Pages(PageNumberPagination):
    """Page numbers (``page_size`` capped at MAX_PAGE_SIZE), the last one within what the database can
    count: a page past MAX_PAGE is refused (422), not sent to PostgreSQL as an offset it cannot hold."""

    class Input(Input):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)


# Public ----------------------------------------------------------------------------------------


@router.get("/categories", response=list[CategoryOut], tags=["reference data"])
def list_categories(request):
    return Category.objects.select_related("parent")


@router.get("/regions", response=list[RegionOut], tags=["reference data"])
def list_regions(request):
    return Region.objects.all()


@router.get("/notices", response=list[NoticeSummary])
@paginate(Pages, page_size=settings.PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_notices(request, filters: Query[NoticeFilters]):
    """Published notices, newest first, with their lots. `page_size` is capped at 100."""
    return _filter_notices(selectors.public_tenders(), filters)


@router.get("/notices/{notice_id}", response=NoticeDetail)
def get_notice(request, notice_id: int):
    """A published notice with its lots, items, documents, errata and published answers."""
    return selectors.public_tender(notice_id)


# Buyer -------------------------------------------------------------------------------------------


@router.get("/buyer/notices", response=list[NoticeSummary], **AS_BUYER)
@paginate(Pages, page_size=settings.PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def list_own_notices(request, filters: Query[BuyerNoticeFilters]):
    """The notices of the buyer's organisation, drafts included."""
    notices = selectors.buyer_tenders(request.auth).select_related("buyer")
    notices = notices.prefetch_related(Prefetch("lots", queryset=Lot.objects.order_by("number")))
    if filters.status:
        notices = notices.filter(status=filters.status)
    return notices


@router.get("/buyer/notices/{notice_id}", response=NoticeDetail, **AS_BUYER)
def get_own_notice(request, notice_id: int):
    """One notice of the buyer's organisation, a draft included."""
    return selectors.buyer_tender(request.auth, notice_id)


@router.post("/notices", response={201: NoticeDetail}, **AS_BUYER)
def create_notice(request, payload: NoticeIn):
    """Create a draft notice for the buyer's organisation."""
    membership = require_role(request, Role.BUYER_AGENT)
    data = payload.dict()
    tender = services.create_tender(membership, _notice_values(data, data["original_language"]))
    return Status(201, selectors.buyer_tender(membership, tender.pk))


@router.patch("/notices/{notice_id}", response=NoticeDetail, **AS_BUYER)
def update_notice(request, notice_id: int, payload: NoticePatch):
    """Change a draft (a field absent or null stays as it is). A published notice changes only by an
    erratum."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    data = payload.dict(exclude_unset=True, exclude_none=True)
    original = data.get("original_language") or tender.original_language
    services.update_draft(request.auth, tender, _notice_values(data, original))
    return selectors.buyer_tender(request.auth, tender.pk)


@router.post("/notices/{notice_id}/lots", response={201: LotDetail}, **AS_BUYER)
def add_lot(request, notice_id: int, payload: LotIn):
    """Add a lot, with its items and auction parameters, to a draft."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    values, items = _lot_input(tender, payload)
    return Status(201, services.save_lot(request.auth, tender, values, items))


@router.put("/notices/{notice_id}/lots/{lot_id}", response=LotDetail, **AS_BUYER)
def replace_lot(request, notice_id: int, lot_id: int, payload: LotIn):
    """Replace a lot of a draft, its items included."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    lot = _own_lot(tender, lot_id)
    values, items = _lot_input(tender, payload)
    return services.save_lot(request.auth, tender, values, items, lot=lot)


@router.delete("/notices/{notice_id}/lots/{lot_id}", response={204: None}, **AS_BUYER)
def delete_lot(request, notice_id: int, lot_id: int):
    tender = selectors.buyer_tender(request.auth, notice_id)
    services.delete_lot(request.auth, _own_lot(tender, lot_id))
    return Status(204, None)


@router.post("/notices/{notice_id}/documents", response={201: NoticeDocumentOut}, **AS_BUYER)
def add_document(request, notice_id: int, file: File[UploadedFile], form: Form[DocumentIn]):
    """Add a document to the consultation file of a draft (multipart/form-data)."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    return Status(201, services.add_document(request.auth, tender, file, form.title.strip()))


@router.post("/notices/{notice_id}/publish", response=NoticeDetail, **AS_BUYER)
def publish_notice(request, notice_id: int):
    """Publish a draft, if its schedule leaves the legal delays."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    services.publish(request.auth, tender)
    return selectors.public_tender(tender.pk)


@router.post("/notices/{notice_id}/errata", response={201: ErratumOut}, **AS_BUYER)
def publish_erratum(request, notice_id: int, payload: ErratumIn):
    """Amend a published notice. A substantive change moves the application deadline if needed."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    original = tender.original_language
    notice_data = payload.notice.dict(exclude_unset=True) if payload.notice else {}
    tender_values = _notice_values(notice_data, original)
    errors = {}
    lot_values = {}
    for lot_id, changes in payload.lots.items():
        lot = tender.lots.filter(pk=lot_id).first()
        if lot is None:
            errors.setdefault("lots", []).append(
                _("Lot %(id)s is not a lot of this notice.") % {"id": lot_id}
            )
            continue
        lot_values[lot] = _with_texts(changes.dict(exclude_unset=True), ["title"], original)
    item_values = {}
    for item_id, changes in payload.items.items():
        item = Item.objects.select_related("lot").filter(pk=item_id, lot__tender=tender).first()
        if item is None:
            errors.setdefault("items", []).append(
                _("Item %(id)s is not an item of this notice.") % {"id": item_id}
            )
            continue
        item_values[item] = _with_texts(changes.dict(exclude_unset=True), ITEM_TEXTS, original)
    if errors:
        raise ValidationError(errors)
    erratum = services.publish_erratum(
        request.auth,
        tender,
        payload.reason,
        tender_values=tender_values,
        lot_values=lot_values,
        item_values=item_values,
    )
    return Status(201, erratum)


@router.get("/notices/{notice_id}/clarifications", response=list[BuyerClarification], **AS_BUYER)
def list_clarifications(request, notice_id: int):
    """Every question on the buyer's notice, answered or not; never who asked it."""
    tender = selectors.buyer_tender(request.auth, notice_id)
    return tender.clarifications.order_by("asked_at", "id")


@router.post("/clarifications/{clarification_id}/answer", response=BuyerClarification, **AS_BUYER)
def answer_clarification(request, clarification_id: int, payload: AnswerIn):
    """Answer a question; the answer is published to everyone without the asker's identity."""
    clarification = Clarification.objects.filter(pk=clarification_id).first()
    if clarification is None:
        raise Http404(_("This question does not exist."))
    selectors.buyer_tender(request.auth, clarification.tender_id)  # 403 for another organisation
    return services.answer_clarification(
        request.auth, clarification, payload.answer, payload.published_question
    )


# Company ------------------------------------------------------------------------------------------


@router.post("/notices/{notice_id}/clarifications", response={201: AskedClarification}, **AS_COMPANY)
def ask_clarification(request, notice_id: int, payload: QuestionIn):
    """Ask the buyer a question; the answer will be published without the company's identity."""
    membership = require_role(request, Role.COMPANY_MEMBER)
    tender = selectors.public_tender(notice_id)
    return Status(201, services.ask_clarification(membership, tender, payload.question))
