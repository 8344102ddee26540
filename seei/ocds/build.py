"""The sections of OCDS releases, built from a notice as it is (or as an erratum recorded it).

Only what is public at the step goes in: the buyer and the notice from publication on; counts of
applications and of admitted or excluded companies once the lot's outcome is known (never who
applied); bidders' identities and their prices (``bids.details``, the tenderers, the supplier) only
once the award is final. Documents of applications and of award candidates are never published.

SEEI's own phrases are in the active language: ``seei.ocds.publish`` builds each release in the
language the release declares, the notice's.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from seei.applications.models import Application, Decision
from seei.auctions import rules, signing
from seei.auctions.models import Room
from seei.awards.models import Award, AwardStep, Payment, Visa
from seei.core.translated import LANGS, Translated
from seei.tenders.models import Tender, TenderDocument

# Lot statuses before the outcome, and after it (OCDS tenderStatus codelist).
ACTIVE, COMPLETE, UNSUCCESSFUL, CANCELLED = "active", "complete", "unsuccessful", "cancelled"


# Identifiers and plain values -------------------------------------------------------------------------


def ocid(tender: Tender) -> str:
    return f"{settings.SEEI_OCID_PREFIX}-{tender.pk}"


TENDER_STEP = "tender"


def amendment_step(number: int) -> str:
    return f"amendment-{number}"


def release_id(tender: Tender, step: str) -> str:
    return f"{ocid(tender)}-{step}"


def party_id(organisation) -> str:
    return f"SEEI-{organisation.pk}"


def lot_id(lot) -> str:
    return str(lot.number)


def award_id(lot) -> str:
    return f"award-{lot.number}"


def contract_id(lot) -> str:
    return f"contract-{lot.number}"


def date(moment: datetime) -> str:
    """UTC, to the second: dates compare as text, as the merge rules sort releases."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def value(amount, currency: str) -> dict:
    return {"amount": float(Decimal(amount)), "currency": currency}


def texts(name: str, translated: dict | None, language: str) -> dict:
    """``{name: original text, name_ar: ..., name_en: ...}``: OCDS's language variants."""
    translated = Translated(translated or {})
    main = translated.get(language) or translated.get(translated.original) or ""
    out = {name: main} if main else {}
    for code in LANGS:
        if code != language and translated.get(code) and translated[code] != main:
            out[f"{name}_{code}"] = translated[code]
    return out


def site_url(name: str, *args, language: str = "fr") -> str:
    """An absolute URL; ``language`` is the prefix of the site's pages (the API has none)."""
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, args=args)}"


# What the builders read, loaded once per notice -----------------------------------------------------------


@dataclass
class Notice:
    """A notice with everything its releases are made of."""

    tender: Tender
    lots: list = field(init=False)
    errata: list = field(init=False)
    documents: dict = field(init=False)  # sha256 -> TenderDocument (the first one)
    awards: dict = field(init=False)  # lot id -> Award
    rooms: dict = field(init=False)  # lot id -> Room

    def __post_init__(self):
        tender = self.tender
        self.lots = list(tender.lots.order_by("number"))  # their items are read from the snapshot
        self.errata = list(tender.errata.order_by("number"))
        self.documents = {}
        for document in TenderDocument.objects.filter(tender=tender).order_by("uploaded_at", "id"):
            self.documents.setdefault(document.sha256, document)
        self.awards = {
            award.lot_id: award
            for award in Award.objects.filter(lot__tender=tender)
            .select_related("company")
            .prefetch_related("steps", "visas", "payments__accountant_post")
        }
        self.rooms = {
            room.lot_id: room
            for room in Room.objects.filter(lot__tender=tender).prefetch_related("bidders__company")
        }

    @property
    def language(self) -> str:
        return self.tender.original_language

    def lot(self, number: int):
        return next(lot for lot in self.lots if lot.number == number)

    @cached_property
    def current(self) -> dict:
        """The notice as it is now (``seei.tenders.services.snapshot``), read once for every version."""
        from seei.tenders.services import snapshot

        return snapshot(self.tender)

    def version_after(self, erratum_number: int) -> dict:
        """The notice as it stood after erratum ``erratum_number`` (0: as first published)."""
        current = self.current
        later = next((e for e in self.errata if e.number == erratum_number + 1), None)
        if later is None:
            return current
        # What the next erratum recorded of the version it replaced; an imported erratum may record
        # only the deadline it moved, and the rest is taken as it is now.
        deadline = {"application_deadline": later.deadline_before.isoformat()}
        return {**current, **deadline, **(later.previous_version or {})}


# Parties ------------------------------------------------------------------------------------------------


def organisation_reference(organisation) -> dict:
    return {"id": party_id(organisation), "name": organisation.name}


def party(organisation, roles: list[str]) -> dict:
    out = {**organisation_reference(organisation), "roles": roles}
    if organisation.ice:
        out["identifier"] = {"scheme": "MA-ICE", "id": organisation.ice, "legalName": organisation.name}
    elif organisation.national_registration:
        out["identifier"] = {
            "scheme": f"x_{organisation.country}-REGISTRATION",
            "id": organisation.national_registration,
            "legalName": organisation.name,
        }
    address = {"locality": organisation.city, "countryName": organisation.country}
    out["address"] = {key: text for key, text in address.items() if text}
    return out


def buyer_party(notice: Notice) -> dict:
    return party(notice.tender.buyer, ["buyer", "procuringEntity"])


def revealed_companies(notice: Notice, at: datetime) -> dict:
    """Companies whose identity is public at ``at``, with their roles then: the bidders of every lot
    whose award was final by then (tenderers), its awardee (supplier), and who was paid (payee)."""
    roles: dict = {}
    for award in notice.awards.values():
        if award.status != Award.Status.FINAL or award.final_at > at:
            continue
        room = notice.rooms.get(award.lot_id)
        for bidder in room.bidders.all() if room else ():
            if rules.State.from_dict(room.state).rank_of(bidder.pseudonym) is not None:
                roles.setdefault(bidder.company, set()).add("tenderer")
        roles.setdefault(award.company, set()).update({"tenderer", "supplier"})
        if any(payment.recorded_at <= at for payment in award.payments.all()):
            roles[award.company].add("payee")
    order = ["tenderer", "supplier", "payee"]
    return {company: [role for role in order if role in found] for company, found in roles.items()}


def parties_at(notice: Notice, at: datetime, extra: list[dict] = ()) -> list[dict]:
    companies = revealed_companies(notice, at)
    ordered = sorted(companies, key=lambda company: company.pk)
    return [buyer_party(notice), *(party(company, companies[company]) for company in ordered), *extra]


# The notice (tender section) ------------------------------------------------------------------------------


def _items(notice: Notice, version: dict) -> list[dict]:
    tender, language = notice.tender, notice.language
    items = []
    for lot_version in version["lots"]:
        for position, item in enumerate(lot_version["items"], start=1):
            items.append(
                {
                    "id": f"{lot_version['number']}-{position}",
                    **texts("description", item["designation"], language),
                    "classification": {
                        "scheme": "x_SEEI",
                        "id": tender.category.code,
                        **texts("description", tender.category.name, language),
                    },
                    "quantity": float(Decimal(item["quantity"])),
                    "unit": {"name": item["unit"]},
                    "relatedLot": str(lot_version["number"]),
                }
            )
    return items


def _decrement(lot, kind: str, amount) -> dict | None:
    if amount is None:
        return None
    return {
        "kind": kind,
        "value": float(amount),
        "amount": value(lot.decrement_amount(kind, amount), lot.tender.currency),
    }


def auction_rules(lot, starting_price) -> dict:
    """The lot's auction parameters (SEEI's extension), as frozen in its ledger's genesis."""
    out = {
        "startingPrice": value(starting_price, lot.tender.currency),
        "minimumDecrement": _decrement(lot, lot.min_decrement_kind, lot.min_decrement),
        "maximumDecrement": _decrement(lot, lot.max_decrement_kind, lot.max_decrement),
        "decrementBase": lot.decrement_base,
        "durationMinutes": lot.duration_minutes,
        "extensionWindowSeconds": lot.extension_window_seconds,
        "extensionSeconds": lot.extension_seconds,
        "maximumExtensions": lot.extension_cap,
        "onlyLeadChangeExtends": lot.only_lead_change_extends,
        "visibility": lot.visibility,
        "refuseEqualBest": lot.refuse_equal_best,
        "minimumBidIntervalSeconds": lot.min_bid_interval_seconds,
    }
    return {key: item for key, item in out.items() if item is not None}


def _lots(notice: Notice, version: dict) -> list[dict]:
    lots, currency = [], notice.tender.currency
    for lot_version in version["lots"]:
        lot = notice.lot(lot_version["number"])
        lots.append(
            {
                "id": lot_id(lot),
                **texts("title", lot_version["title"], notice.language),
                "status": ACTIVE,
                "value": value(lot_version["estimated_amount"], currency),
                "techniques": {
                    "hasElectronicAuction": True,
                    "electronicAuction": {
                        "url": site_url("auctions:enter", lot.pk, language=notice.language),
                        "description": _("Electronic reverse auction; the room opens at %(opens_at)s.")
                        % {"opens_at": lot_version["opens_at"]},
                    },
                },
                "seeiAuction": {
                    **auction_rules(lot, Decimal(lot_version["starting_price"])),
                    "period": {"startDate": date(datetime.fromisoformat(lot_version["opens_at"]))},
                },
            }
        )
    return lots


def document(notice: Notice, doc: TenderDocument) -> dict:
    tender = notice.tender
    return {
        "id": f"document-{doc.pk}",
        "documentType": "biddingDocuments",
        "title": doc.title,
        "url": site_url("portal:document", tender.pk, doc.pk, language=notice.language),
        "datePublished": date(max(doc.uploaded_at, tender.published_at)),
        "format": doc.content_type,
    }


def tender_section(notice: Notice, version: dict) -> dict:
    """The whole notice as published in ``version`` (the shape of ``seei.tenders.services.snapshot``)."""
    tender, language = notice.tender, notice.language
    documents = [
        notice.documents[d["sha256"]] for d in version["documents"] if d["sha256"] in notice.documents
    ]
    estimated = sum((Decimal(lot["estimated_amount"]) for lot in version["lots"]), Decimal(0))
    return {
        "id": tender.reference,
        **texts("title", version["title"], language),
        **texts("description", version["object"], language),
        "status": ACTIVE,
        "procuringEntity": organisation_reference(tender.buyer),
        "items": _items(notice, version),
        "value": value(estimated, tender.currency),
        "procurementMethod": "open",
        "procurementMethodDetails": _(
            "Electronic reverse auction (price only), in two phases: admission, then auction"
        ),
        "mainProcurementCategory": "goods",
        "awardCriteria": "priceOnly",
        "submissionMethod": ["electronicSubmission", "electronicAuction"],
        "tenderPeriod": {
            "startDate": date(tender.published_at),
            "endDate": date(datetime.fromisoformat(version["application_deadline"])),
        },
        "enquiryPeriod": {
            "startDate": date(tender.published_at),
            "endDate": date(datetime.fromisoformat(version["application_deadline"])),
        },
        "documents": [document(notice, doc) for doc in documents],
        "techniques": {"hasElectronicAuction": True},
        "lots": _lots(notice, version),
    }


def amendment(notice: Notice, erratum) -> dict:
    previous = TENDER_STEP if erratum.number == 1 else amendment_step(erratum.number - 1)
    changed = ", ".join(dict.fromkeys(change["field"] for change in erratum.changes))
    if erratum.substantive:
        description = _("Erratum %(number)s (substantive): %(fields)s.")
    else:
        description = _("Erratum %(number)s (not substantive): %(fields)s.")
    return {
        "id": str(erratum.number),
        "date": date(erratum.published_at),
        "rationale": erratum.reason,
        "description": description % {"number": erratum.number, "fields": changed},
        "amendsReleaseID": release_id(notice.tender, previous),
        "releaseID": release_id(notice.tender, amendment_step(erratum.number)),
    }


def withdrawn_documents(notice: Notice, up_to: int) -> list[dict]:
    """Documents an erratum withdrew: they stay listed (a record keeps them) and say so."""
    out = []
    for erratum in notice.errata[:up_to]:
        for doc in erratum.withdrawn_documents.all():
            out.append(
                {
                    **document(notice, doc),
                    "description": _("Withdrawn by erratum %(number)s") % {"number": erratum.number},
                    "dateModified": date(erratum.published_at),
                }
            )
    return out


# Outcomes of a lot: bids, awards, contracts -----------------------------------------------------------------


def bid_statistics(notice: Notice, lot, at: datetime) -> list[dict]:
    """Counts only: how many applied, were admitted or excluded, bid, and the price range."""
    applications = (
        Application.objects.filter(lots=lot, submitted_at__lte=notice.tender.application_deadline)
        .exclude(status=Application.Status.WITHDRAWN)
        .count()
    )
    excluded = Decision.objects.filter(lot=lot, outcome=Decision.Outcome.EXCLUDED).count()
    measures = [("requests", applications), ("disqualifiedBidders", excluded)]
    room = notice.rooms.get(lot.pk)
    if room is not None:
        state = rules.State.from_dict(room.state)
        ranking = state.ranking()
        measures += [
            ("qualifiedBidders", len(room.bidders.all())),
            ("bidders", len(ranking)),
            ("bids", len(state.bids)),
            ("electronicBids", len(state.bids)),
        ]
        if ranking:
            measures += [
                ("lowestValidBidValue", ranking[0].amount),
                ("highestValidBidValue", ranking[-1].amount),
            ]
    out = []
    for measure, figure in measures:
        statistic = {
            "id": f"{lot.number}-{measure}",
            "measure": measure,
            "date": date(at),
            "relatedLot": lot_id(lot),
        }
        if isinstance(figure, Decimal):
            statistic.update(
                value=float(figure), currency=room.params.get("currency") or notice.tender.currency
            )
        else:
            statistic["value"] = figure
        out.append(statistic)
    return out


def auction_results(notice: Notice, lot) -> dict | None:
    """The room's results and where to verify its ledger (SEEI's extension), once it closed."""
    room = notice.rooms.get(lot.pk)
    if room is None or room.status != Room.Status.CLOSED:
        return None
    state = rules.State.from_dict(room.state)
    period = {"endDate": date(room.closed_at)}
    if room.opened_at:
        period["startDate"] = date(room.opened_at)
    return {
        "period": period,
        "results": {
            "numberOfBids": len(state.bids),
            "numberOfBidders": len(state.ranking()),
            "extensions": state.extensions,
            "ledger": {
                "finalHash": room.last_hash,
                "entries": room.seq + 1,
                "url": site_url("api:public_ledger", lot.pk),
                "publicKeyUrl": site_url("api:public_key"),
                "verification": signing.verify_command("LEDGER.json")
                + ": "
                + _(
                    "Re-checks the hash chain and the signatures, and re-runs the auction rules to"
                    " recompute the ranking and the winner."
                ),
            },
        },
    }


def bid_details(notice: Notice, lot) -> list[dict]:
    """Every bidder's final price with its identity: only called once the award is final."""
    room = notice.rooms[lot.pk]
    currency = room.params.get("currency") or notice.tender.currency
    companies = {bidder.pseudonym: bidder.company for bidder in room.bidders.all()}
    return [
        {
            "id": f"{lot.number}-{bid.bidder}",
            "date": date(bid.at),
            "status": "valid",
            "tenderers": [organisation_reference(companies[bid.bidder])],
            "value": value(bid.amount, currency),
            "relatedLots": [lot_id(lot)],
        }
        for bid in rules.State.from_dict(room.state).ranking()
    ]


def award_section(notice: Notice, award: Award) -> dict:
    lot = next(lot for lot in notice.lots if lot.pk == award.lot_id)
    out = {
        "id": award_id(lot),
        **texts("title", lot.title, notice.language),
        "relatedLots": [lot_id(lot)],
    }
    if award.status == Award.Status.FINAL:
        step = next(s for s in award.steps.all() if s.status == AwardStep.Status.CONFIRMED)
        out.update(
            status="active",
            date=date(award.final_at),
            value=value(award.amount, award.currency),
            suppliers=[organisation_reference(award.company)],
            relatedBid=f"{lot.number}-{step.bidder.pseudonym}",
        )
    else:
        out.update(status="unsuccessful", date=date(unsuccessful_award_at(award)))
    return out


def unsuccessful_award_at(award: Award) -> datetime:
    decided = [step.decided_at for step in award.steps.all() if step.decided_at]
    return max(decided, default=award.created_at)


def granted_visa(award: Award) -> Visa | None:
    return next((v for v in award.visas.all() if v.decision == Visa.Decision.GRANTED), None)


def contract_section(notice: Notice, award: Award, *, status: str = "active") -> dict:
    lot = next(lot for lot in notice.lots if lot.pk == award.lot_id)
    visa = granted_visa(award)
    return {
        "id": contract_id(lot),
        "awardID": award_id(lot),
        **texts("title", lot.title, notice.language),
        "status": status,
        "value": value(award.amount, award.currency),
        "dateSigned": date(visa.decided_at),
    }


def transaction(notice: Notice, award: Award, payment: Payment) -> dict:
    return {
        "id": f"payment-{payment.pk}",
        "source": f"{settings.SITE_URL}/",
        "date": date(datetime.combine(payment.paid_on, datetime.min.time(), tzinfo=UTC)),
        "value": value(payment.amount, award.currency),
        "payer": organisation_reference(payment.accountant_post),
        "payee": organisation_reference(award.company),
    }


def paid_in_full(award: Award, at: datetime) -> bool:
    paid = sum((p.amount for p in award.payments.all() if p.recorded_at <= at), Decimal(0))
    return paid >= award.amount
