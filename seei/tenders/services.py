"""State changes of notices: drafts, lots, documents, publication, errata, clarifications.

Every function checks the rules of the procedure and raises ``TenderError`` with a message
for the user; nothing is changed when it does. Notifications leave after commit.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.accounts.models import Role
from seei.alerts import events as alerts
from seei.alerts.services import notify
from seei.core import amounts, audit, clock
from seei.core.forms import LANG_LABELS
from seei.core.uploads import sha256_of, validate_document
from seei.ocds import hooks as ocds
from seei.tenders import requirements, schedule, search
from seei.tenders.errors import TenderError
from seei.tenders.models import Clarification, Erratum, Interest, Item, Lot, Tender, TenderDocument

TENDER_FIELDS = [
    "reference",
    "original_language",
    "title",
    "object",
    "category",
    "region",
    "delivery_place",
    "delivery_terms",
    "currency",
    "international",
    "application_deadline",
    "application_documents",
    "award_documents",
]
LOT_FIELDS = [
    "title",
    "estimated_amount",
    "starting_price",
    "min_decrement_kind",
    "min_decrement",
    "max_decrement_kind",
    "max_decrement",
    "decrement_base",
    "opens_at",
    "duration_minutes",
    "extension_window_seconds",
    "extension_seconds",
    "extension_cap",
    "only_lead_change_extends",
    "visibility",
    "refuse_equal_best",
    "min_bid_interval_seconds",
    "public_watch",
]
ITEM_FIELDS = ["designation", "specification", "quantity", "unit"]
ITEM_TEXTS = ("designation", "specification")
# Everything else in an erratum changes the substance and may move the deadline.
NON_SUBSTANTIVE = {"title"}
# The free texts' longest lengths (the forms say the same): a megabyte of question is refused.
TEXT_LIMITS = {"question": 4000, "published_question": 4000, "answer": 20000, "reason": 4000}


def _check_lengths(**texts) -> None:
    errors = {}
    for field, text in texts.items():
        try:
            MaxLengthValidator(TEXT_LIMITS[field])(text)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise TenderError(errors)


def _require_buyer(membership, tender=None):
    if membership is None or membership.role != Role.BUYER_AGENT:
        raise TenderError(_("Only a buyer agent can do this."))
    if tender is not None and tender.buyer_id != membership.organisation_id:
        raise TenderError(_("This notice belongs to another organisation."))


def _full_clean(obj, exclude, prefix=""):
    """The models' own field checks (bounds, lengths, decimals), for forms and API alike; ``prefix``
    names the nested object in the errors ("items.0.quantity")."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise TenderError({f"{prefix}{field}": m for field, m in error.message_dict.items()}) from None


def _check_original_text(original_language, values: dict, names, prefix="") -> None:
    message = _("Give this text in the original language of the notice (%(language)s).") % {
        "language": LANG_LABELS[original_language]
    }
    missing = {
        f"{prefix}{name}": message
        for name in names
        if name in values and not (values[name] or {}).get(original_language)
    }
    if missing:
        raise TenderError(missing)


def _item_texts(item) -> dict:
    return {name: getattr(item, name) for name in ITEM_TEXTS}


def _stamp_original(tender: Tender) -> None:
    """Every text of the notice names its original language, also after that language changed."""
    for name in ("title", "object", "delivery_terms"):
        value = getattr(tender, name)
        if isinstance(value, dict):
            value["orig"] = tender.original_language


def _check_reference(reference, tender=None):
    clash = Tender.objects.filter(reference=reference)
    if tender is not None:
        clash = clash.exclude(pk=tender.pk)
    if clash.exists():
        raise TenderError({"reference": _("A notice with this reference already exists.")})


def _require_draft(tender):
    if tender.status != Tender.Status.DRAFT:
        raise TenderError(_("A published notice can only be changed by an erratum."))


def check_lot_values(values: dict) -> None:
    """Checks that span several fields of a lot, once each amount is one (``amounts.parse``: positive,
    two decimals, not beyond the largest amount, so the arithmetic below cannot fail)."""
    errors = {}
    for field in ("estimated_amount", "starting_price", "min_decrement", "max_decrement"):
        if values.get(field) is not None:
            try:
                amounts.parse(values[field])
            except ValidationError as error:
                errors[field] = error.messages[0]
    for kind, field in (("min_decrement_kind", "min_decrement"), ("max_decrement_kind", "max_decrement")):
        if (
            values.get(kind) == Lot.DecrementKind.PERCENT
            and field not in errors
            and (values.get(field) or 0) > 100
        ):
            errors[field] = _("A decrement in percent cannot exceed 100.")
    if not errors and values.get("starting_price"):
        probe = Lot(**{k: v for k, v in values.items() if k in LOT_FIELDS})
        minimum = probe.decrement_amount(probe.min_decrement_kind, probe.min_decrement)
        maximum = probe.decrement_amount(probe.max_decrement_kind, probe.max_decrement)
        if maximum is not None and maximum < minimum:
            errors["max_decrement"] = _("The maximum decrement cannot be smaller than the minimum decrement.")
        if minimum >= probe.starting_price:
            errors["min_decrement"] = _("The minimum decrement must be smaller than the starting price.")
    if (
        values.get("decrement_base") == Lot.DecrementBase.BEST
        and values.get("visibility") == Lot.Visibility.RANK
    ):
        # Bidders told the highest amount they may bid would all learn the best price (rules.LotParams).
        errors["visibility"] = _(
            "A decrement measured from the best price shows the best price to every bidder: "
            "choose a visibility that shows the best price, or measure the decrement from "
            "each bidder's own bid."
        )
    if errors:
        raise TenderError(errors)


@transaction.atomic
def create_tender(membership, values: dict) -> Tender:
    _require_buyer(membership)
    _check_reference(values.get("reference"))
    tender = Tender(
        buyer=membership.organisation,
        created_by=membership.user,
        **{k: values[k] for k in TENDER_FIELDS if k in values},
    )
    _check_original_text(tender.original_language, values, ("title", "object"))
    requirements.check(values)
    _stamp_original(tender)
    _full_clean(tender, ["buyer", "created_by", "search"])
    tender.save()
    audit.record("tender.created", tender, membership.user, membership.organisation)
    return tender


@transaction.atomic
def update_draft(membership, tender: Tender, values: dict) -> Tender:
    _require_buyer(membership, tender)
    _require_draft(tender)
    if "reference" in values:
        _check_reference(values["reference"], tender)
    requirements.check(values)
    # From the database: a form has already put its values on ``tender``.
    required_before = Tender.objects.filter(pk=tender.pk).values(*requirements.FIELDS).first()
    for field in TENDER_FIELDS:
        if field in values:
            setattr(tender, field, values[field])
    # All the texts, not only the given ones: a new original language must have them too.
    _check_original_text(
        tender.original_language, {"title": tender.title, "object": tender.object}, ("title", "object")
    )
    _stamp_original(tender)
    _full_clean(tender, ["buyer", "created_by", "search"])
    tender.save()
    required_after = {f: list(getattr(tender, f) or []) for f in requirements.FIELDS}
    if required_after != required_before:
        audit.record(
            "tender.required_documents", tender, membership.user, membership.organisation, **required_after
        )
    return tender


@transaction.atomic
def save_lot(membership, tender: Tender, values: dict, items: list[dict], lot: Lot | None = None) -> Lot:
    """Create or replace a lot of a draft notice, with its items."""
    _require_buyer(membership, tender)
    _require_draft(tender)
    check_lot_values(values)
    if not items:
        raise TenderError(_("A lot needs at least one item."))
    if lot is None:
        number = (tender.lots.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        lot = Lot(tender=tender, number=number)
    for field in LOT_FIELDS:
        if field in values:
            setattr(lot, field, values[field])
    _check_original_text(tender.original_language, values, ("title",))
    _full_clean(lot, ["tender", "number"])
    rows = [
        Item(lot=lot, position=position, **{k: item[k] for k in ITEM_FIELDS})
        for position, item in enumerate(items, 1)
    ]
    for index, row in enumerate(rows):
        prefix = f"items.{index}."
        _check_original_text(tender.original_language, _item_texts(row), ITEM_TEXTS, prefix)
        _full_clean(row, ["lot"], prefix)
    lot.save()
    lot.items.all().delete()
    for row in rows:
        row.lot = lot
    Item.objects.bulk_create(rows)
    return lot


@transaction.atomic
def delete_lot(membership, lot: Lot) -> None:
    _require_buyer(membership, lot.tender)
    _require_draft(lot.tender)
    lot.delete()


def _store_document(tender, upload, title, erratum=None) -> TenderDocument:
    mime = validate_document(upload)
    digest = sha256_of(upload)
    document = TenderDocument(
        tender=tender,
        title=title or upload.name[:255],
        original_name=upload.name[:255],
        content_type=mime,
        size=upload.size,
        sha256=digest,
        erratum=erratum,
        uploaded_at=clock.now(),
    )
    document.file.save(upload.name, upload, save=False)
    document.save()
    return document


@transaction.atomic
def add_document(membership, tender: Tender, upload, title: str = "") -> TenderDocument:
    _require_buyer(membership, tender)
    _require_draft(tender)
    document = _store_document(tender, upload, title)
    audit.record(
        "tender.document_added", tender, membership.user, membership.organisation, sha256=document.sha256
    )
    return document


@transaction.atomic
def publish(membership, tender: Tender) -> Tender:
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _require_buyer(membership, tender)
    _require_draft(tender)
    lots = list(tender.lots.prefetch_related("items"))
    if not lots:
        raise TenderError(_("A notice needs at least one lot before it can be published."))
    if any(not lot.items.all() for lot in lots):
        raise TenderError(_("Every lot needs at least one item before the notice can be published."))
    now = clock.now()
    schedule.check(now, tender.application_deadline, [lot.opens_at for lot in lots], schedule.day(tender))
    tender.status = Tender.Status.PUBLISHED
    tender.published_at = now
    tender.save(update_fields=["status", "published_at"])
    search.reindex(tender)
    audit.record("tender.published", tender, membership.user, membership.organisation)
    ocds.step_happened(tender.pk)
    if tender.practice:  # never alerts anyone: the simulated companies take their turn instead
        from seei.practice import procedure

        transaction.on_commit(lambda: procedure.published(tender.pk))
        return tender
    alerts.notice_published(tender)
    return tender


# Errata -----------------------------------------------------------------------------


def snapshot(tender: Tender) -> dict:
    """The notice as it is, for the history of versions."""
    return {
        "version": tender.version,
        "title": dict(tender.title),
        "object": dict(tender.object),
        "delivery_place": tender.delivery_place,
        "delivery_terms": dict(tender.delivery_terms or {}),
        "application_deadline": tender.application_deadline.isoformat(),
        "lots": [
            {
                "number": lot.number,
                "title": dict(lot.title),
                "estimated_amount": str(lot.estimated_amount),
                "starting_price": str(lot.starting_price),
                "opens_at": lot.opens_at.isoformat(),
                "items": [
                    {
                        "designation": dict(i.designation),
                        "specification": dict(i.specification),
                        "quantity": str(i.quantity),
                        "unit": i.unit,
                    }
                    for i in lot.items.all()
                ],
            }
            for lot in tender.lots.prefetch_related("items")
        ],
        "documents": [
            {"title": d.title, "sha256": d.sha256} for d in tender.documents.filter(withdrawn_by=None)
        ],
    }


def _raw(value):
    """A JSON value for the erratum record; ``seei.tenders.errata`` formats it for the reader."""
    if isinstance(value, dict):
        return dict(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return None if value is None else (value if isinstance(value, int | bool) else str(value))


def _diff(obj, values: dict, prefix: str) -> list[dict]:
    changes = []
    for field, new in values.items():
        old = getattr(obj, field)
        if isinstance(old, Decimal) and new is not None:
            new = Decimal(new)
        same = (dict(old or {}) == dict(new or {})) if isinstance(old, dict) else old == new
        if not same:
            changes.append({"field": f"{prefix}{field}", "before": _raw(old), "after": _raw(new)})
    return changes


# What each amended object must keep: its texts in the original language, its fields' own checks.
_AMENDED = {
    Tender: (("title", "object"), ["buyer", "created_by", "search"]),
    Lot: (("title",), ["tender"]),
    Item: (ITEM_TEXTS, ["lot"]),
}


def _apply_checked(obj, original_language, values: dict, prefix="") -> None:
    texts, exclude = _AMENDED[type(obj)]
    _check_original_text(original_language, values, texts, prefix)
    for field, value in values.items():
        setattr(obj, field, value)
    _full_clean(obj, exclude, prefix)


@transaction.atomic
def publish_erratum(
    membership,
    tender: Tender,
    reason: str,
    *,
    tender_values: dict | None = None,
    lot_values: dict | None = None,
    item_values: dict | None = None,
    new_documents: list | None = None,
    withdrawn_documents: list | None = None,
) -> Erratum:
    """Change a published notice. ``lot_values``/``item_values`` map a lot/item to its new field values;
    ``new_documents`` is a list of (title, upload)."""
    tender = Tender.objects.select_for_update().get(pk=tender.pk)
    _require_buyer(membership, tender)
    if tender.status != Tender.Status.PUBLISHED:
        raise TenderError(_("Only a published notice can receive an erratum."))
    now = clock.now()
    if now >= tender.application_deadline:
        raise TenderError(_("The application deadline has passed: the notice can no longer be amended."))
    if not reason.strip():
        raise TenderError({"reason": _("Give the reason for the erratum.")})
    _check_lengths(reason=reason.strip())
    previous = snapshot(tender)
    tender_values = {
        k: v for k, v in (tender_values or {}).items() if k in TENDER_FIELDS and k != "reference"
    }
    changes = _diff(tender, tender_values, "")
    lot_values = lot_values or {}
    for lot, values in lot_values.items():
        check_lot_values({**{f: getattr(lot, f) for f in LOT_FIELDS}, **values})
        changes += _diff(lot, values, f"lot{lot.number}.")
    for item, values in (item_values or {}).items():
        changes += _diff(item, values, f"lot{item.lot.number}.item{item.position}.")
    withdrawn = [
        d for d in (withdrawn_documents or []) if d.tender_id == tender.pk and d.withdrawn_by_id is None
    ]
    changes += [{"field": "documents.withdrawn", "before": d.title, "after": None} for d in withdrawn]
    new_documents = new_documents or []
    for title, upload in new_documents:
        validate_document(upload)
        changes.append({"field": "documents.added", "before": None, "after": title or upload.name})
    if not changes:
        raise TenderError(_("The erratum changes nothing."))

    substantive = any(c["field"] not in NON_SUBSTANTIVE for c in changes)
    deadline_before = tender.application_deadline
    _apply_checked(tender, tender.original_language, tender_values)
    for lot, values in lot_values.items():
        _apply_checked(lot, tender.original_language, values, f"lots.{lot.pk}.")
    for item, values in (item_values or {}).items():
        _apply_checked(item, tender.original_language, values, f"items.{item.pk}.")
    if substantive:
        minimum = now + schedule.days(settings.SEEI_ERRATUM_MIN_REMAINING_DAYS, tender)
        if tender.application_deadline < minimum:
            changes.append(
                {
                    "field": "application_deadline",
                    "before": _raw(tender.application_deadline),
                    "after": _raw(minimum),
                    "moved": True,
                }
            )
            tender.application_deadline = minimum
    if tender.application_deadline < now + schedule.day(tender) / 24:  # an hour
        raise TenderError({"application_deadline": _("The application deadline must stay in the future.")})
    tender.version += 1
    tender.save()
    erratum = Erratum.objects.create(
        tender=tender,
        number=tender.version - 1,
        reason=reason.strip(),
        substantive=substantive,
        changes=changes,
        previous_version=previous,
        deadline_before=deadline_before,
        deadline_after=tender.application_deadline,
        published_at=now,
        published_by=membership.user,
    )
    for lot in lot_values:
        lot.save()
    for item in item_values or {}:
        item.save()
    # The rooms follow the deadline so the commission and the invitations keep their time.
    earliest_room = schedule.earliest_room_opening(tender.application_deadline, schedule.day(tender))
    for lot in tender.lots.filter(opens_at__lt=earliest_room):
        lot.opens_at = earliest_room
        lot.save(update_fields=["opens_at"])
    for document in withdrawn:
        document.withdrawn_by = erratum
        document.save(update_fields=["withdrawn_by"])
    for title, upload in new_documents:
        _store_document(tender, upload, title, erratum=erratum)
    search.reindex(tender)
    audit.record(
        "tender.erratum",
        tender,
        membership.user,
        membership.organisation,
        number=erratum.number,
        substantive=substantive,
    )
    ocds.step_happened(tender.pk)
    alerts.erratum_published(erratum)
    return erratum


# Clarifications and interest ----------------------------------------------------------


def record_interest(tender: Tender, company, kind: str) -> None:
    Interest.objects.get_or_create(tender=tender, company=company, kind=kind, defaults={"at": clock.now()})


@transaction.atomic
def ask_clarification(membership, tender: Tender, question: str) -> Clarification:
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        raise TenderError(_("Only a company can ask for a clarification."))
    if tender.status != Tender.Status.PUBLISHED:
        raise TenderError(_("This notice is not published."))
    if clock.now() >= tender.application_deadline:
        raise TenderError(_("The application deadline has passed: questions are closed."))
    question = question.strip()
    if len(question) < 10:
        raise TenderError({"question": _("Please write your question in a few words at least.")})
    _check_lengths(question=question)
    clarification = Clarification.objects.create(
        tender=tender,
        company=membership.organisation,
        asked_by=membership.user,
        question=question,
        asked_at=clock.now(),
    )
    record_interest(tender, membership.organisation, Interest.Kind.QUESTION)
    buyers = tender.buyer.memberships.filter(role=Role.BUYER_AGENT).select_related("user")
    notify(
        [m.user for m in buyers],
        gettext_lazy("New clarification request on {reference}"),
        gettext_lazy("A company asked a question about “{title}”."),
        url=reverse("tenders:clarifications", args=[tender.pk]),
        reference=tender.reference,
        title=tender.title,
    )
    return clarification


@transaction.atomic
def answer_clarification(
    membership, clarification: Clarification, answer: str, published_question: str = ""
) -> Clarification:
    clarification = (
        Clarification.objects.select_for_update().select_related("tender").get(pk=clarification.pk)
    )
    tender = clarification.tender
    _require_buyer(membership, tender)
    if clarification.is_answered:
        raise TenderError(_("This question has already been answered."))
    if not answer.strip():
        raise TenderError({"answer": _("The answer cannot be empty.")})
    _check_lengths(answer=answer.strip(), published_question=(published_question or "").strip())
    clarification.answer = answer.strip()
    clarification.published_question = (published_question or clarification.question).strip()
    clarification.answered_at = clock.now()
    clarification.answered_by = membership.user
    clarification.save()
    audit.record(
        "tender.clarification_answered",
        tender,
        membership.user,
        membership.organisation,
        clarification=clarification.pk,
    )
    alerts.answer_published(clarification)
    return clarification
