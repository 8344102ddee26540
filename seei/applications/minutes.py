"""The admission minutes (procès-verbal d'admission), generated from the data at the close.

An official record in the notice's original language, each heading followed by its French/Arabic/
English equivalents (see seei.documents.minutes for why the wording is fixed rather than gettext).
"""

from collections import defaultdict

from seei.applications.models import (
    MIN_ADMITTED,
    MIN_APPLICATIONS,
    Application,
    CommissionMember,
    Decision,
    Examination,
    Vote,
)
from seei.documents.minutes import COMMON_LABELS, Minutes, identifier, moment
from seei.tenders.models import Lot

LABELS = {
    **COMMON_LABELS,
    "title": {
        "fr": "Procès-verbal d'admission des candidatures",
        "ar": "محضر قبول الترشيحات",
        "en": "Minutes of the admission of applications",
    },
    "notice": {"fr": "Avis d'enchère", "ar": "إعلان المزاد", "en": "Auction notice"},
    "reference": {"fr": "Référence", "ar": "المرجع", "en": "Reference"},
    "deadline": {
        "fr": "Date limite des candidatures",
        "ar": "آخر أجل لإيداع الترشيحات",
        "en": "Application deadline",
    },
    "opened": {"fr": "Ouverture des candidatures", "ar": "فتح الترشيحات", "en": "Applications opened"},
    "closed": {"fr": "Clôture de la séance", "ar": "اختتام الجلسة", "en": "Session closed"},
    "lots": {"fr": "Lots", "ar": "الحصص", "en": "Lots"},
    "status": {"fr": "Situation", "ar": "الوضعية", "en": "Status"},
    "commission": {"fr": "Membres de la commission", "ar": "أعضاء اللجنة", "en": "Commission members"},
    "member": {"fr": "Membre", "ar": "عضو", "en": "Member"},
    "president": {"fr": "Président", "ar": "رئيس", "en": "President"},
    "quality": {"fr": "Qualité", "ar": "الصفة", "en": "Capacity"},
    "received": {"fr": "Candidatures reçues", "ar": "الترشيحات المتوصل بها", "en": "Applications received"},
    "submitted": {"fr": "Déposée le", "ar": "تاريخ الإيداع", "en": "Submitted on"},
    "documents": {"fr": "Documents", "ar": "الوثائق", "en": "Documents"},
    "decisions": {
        "fr": "Décisions de la commission",
        "ar": "قرارات اللجنة",
        "en": "Decisions of the commission",
    },
    "decision": {"fr": "Décision", "ar": "القرار", "en": "Decision"},
    "admitted": {"fr": "Admise", "ar": "مقبولة", "en": "Admitted"},
    "excluded": {"fr": "Exclue", "ar": "مستبعدة", "en": "Excluded"},
    "unsuccessful": {"fr": "Lots infructueux", "ar": "الحصص عديمة الجدوى", "en": "Unsuccessful lots"},
    "too_few_applications": {
        "fr": "moins de {n} candidatures reçues ({count})",
        "ar": "أقل من {n} ترشيحات ({count})",
        "en": "fewer than {n} applications received ({count})",
    },
    "too_few_admitted": {
        "fr": "moins de {n} entreprises admises ({count})",
        "ar": "أقل من {n} مقاولات مقبولة ({count})",
        "en": "fewer than {n} companies admitted ({count})",
    },
    "scheduled": {
        "fr": "Lots ouverts à l'enchère",
        "ar": "الحصص المبرمجة للمزاد",
        "en": "Lots going to auction",
    },
    "admitted_count": {"fr": "Entreprises admises", "ar": "المقاولات المقبولة", "en": "Companies admitted"},
    "room": {"fr": "Ouverture de la salle", "ar": "افتتاح قاعة المزاد", "en": "Room opening"},
    "no_application": {"fr": "Aucune candidature.", "ar": "لا توجد ترشيحات.", "en": "No application."},
    "declaration": {
        "fr": "Déclaration d'intérêts",
        "ar": "التصريح بتضارب المصالح",
        "en": "Declaration of interests",
    },
    "no_conflict": {"fr": "Aucun conflit", "ar": "لا يوجد تضارب", "en": "No conflict"},
    "conflict": {
        "fr": "Conflit déclaré, ne délibère pas",
        "ar": "تضارب مصرح به، لا يشارك في المداولة",
        "en": "Conflict declared, takes no part",
    },
    "not_declared": {"fr": "Non déclarée", "ar": "غير مصرح بها", "en": "Not declared"},
    "votes": {
        "fr": "Voix admission / exclusion",
        "ar": "أصوات القبول / الاستبعاد",
        "en": "Votes admit / exclude",
    },
    "approvals": {
        "fr": "Approbation du procès-verbal",
        "ar": "المصادقة على المحضر",
        "en": "Approval of the minutes",
    },
    "approved_at": {"fr": "Approuvé le", "ar": "تاريخ المصادقة", "en": "Approved on"},
    "reservation": {"fr": "Réserve", "ar": "تحفظ", "en": "Reservation"},
    "no_approval": {
        "fr": "Aucune approbation pour l'instant.",
        "ar": "لا توجد مصادقة بعد.",
        "en": "No approval yet.",
    },
}


def _moment(value) -> str:
    """To the minute, the time zone named on every time (the admission has no time zone line)."""
    return moment(value, zone=True)


def _person(membership) -> str:
    return membership.user.get_full_name() or membership.user.email


def _declared(w, member) -> str:
    declaration = getattr(member, "declaration", None)
    if declaration is None:
        return w("not_declared")
    return (
        f"{w('conflict') if declaration.conflict else w('no_conflict')} — {_moment(declaration.declared_at)}"
    )


def admission_minutes_pdf(tender, generated_at) -> bytes:
    examination = Examination.objects.filter(tender=tender).select_related("opened_by", "closed_by").first()
    lots = list(tender.lots.order_by("number"))
    members = (
        CommissionMember.objects.filter(tender=tender)
        .select_related("membership__user", "declaration")
        .order_by("-is_president", "membership__user__last_name", "membership__user__email")
    )
    applications = list(
        Application.objects.filter(tender=tender, status=Application.Status.SUBMITTED)
        .select_related("company")
        .prefetch_related("lots", "documents")
        .order_by("company__name")
    )
    decisions = {
        (d.application_id, d.lot_id): d
        for d in Decision.objects.filter(application__in=applications).select_related("lot")
    }
    counted = defaultdict(lambda: [0, 0])
    for vote in Vote.objects.filter(application__in=applications):
        counted[(vote.application_id, vote.lot_id)][vote.outcome != Decision.Outcome.ADMITTED] += 1
    votes = {key: f"{admitted} / {excluded}" for key, (admitted, excluded) in counted.items()}
    per_lot = defaultdict(list)
    for application in applications:
        for lot in application.lots.all():
            per_lot[lot.pk].append(application)

    doc = Minutes(LABELS, lang=tender.original_language, ref=tender.reference, created_at=generated_at)
    w = doc.words
    doc.notice_fields(
        tender,
        (w("deadline"), _moment(tender.application_deadline)),
        (w("opened"), _moment(examination.opened_at if examination else None)),
        (w("closed"), _moment(examination.closed_at if examination else None)),
    )

    doc.section("commission")
    doc.table(
        [w("member"), w("quality"), w("declaration")],
        [
            [_person(m.membership), w("president") if m.is_president else w("member"), _declared(w, m)]
            for m in members
        ],
        widths=(45, 20, 35),
    )

    doc.section("received")
    for lot in lots:
        doc.paragraph(f"{w('lot')} {lot.number} — {doc.text(lot.title)}", bold=True)
        doc.table_or_none(
            [w("company"), w("identifier"), w("submitted"), w("documents")],
            [
                [
                    a.company.name,
                    identifier(a.company),
                    _moment(a.updated_at),
                    str(sum(1 for d in a.documents.all() if d.replaced_at is None)),
                ]
                for a in per_lot[lot.pk]
            ],
            widths=(38, 22, 26, 14),
            empty="no_application",
        )

    doc.section("decisions")
    rows = []
    for lot in lots:
        for application in per_lot[lot.pk]:
            decision = decisions.get((application.pk, lot.pk))
            if decision is None:
                continue
            outcome = w("admitted") if decision.outcome == Decision.Outcome.ADMITTED else w("excluded")
            tally = votes.get((application.pk, lot.pk), "")
            rows.append([str(lot.number), application.company.name, outcome, tally, decision.reason or "—"])
    doc.table_or_none(
        [w("lot"), w("company"), w("decision"), w("votes"), w("reason")], rows, widths=(8, 27, 13, 12, 40)
    )

    doc.section("unsuccessful")
    rows = []
    for lot in lots:
        if lot.status != Lot.Status.UNSUCCESSFUL:
            continue
        count = len(per_lot[lot.pk])
        if count < MIN_APPLICATIONS:
            why = w("too_few_applications").format(n=MIN_APPLICATIONS, count=count)
        else:
            admitted = sum(
                1
                for a in per_lot[lot.pk]
                if getattr(decisions.get((a.pk, lot.pk)), "outcome", None) == Decision.Outcome.ADMITTED
            )
            why = w("too_few_admitted").format(n=MIN_ADMITTED, count=admitted)
        rows.append([f"{lot.number} — {doc.text(lot.title)}", why])
    doc.table_or_none([w("lot"), w("reason")], rows, widths=(50, 50))

    doc.section("scheduled")
    rows = []
    for lot in lots:
        if lot.status in (Lot.Status.UNSUCCESSFUL, Lot.Status.OPEN, Lot.Status.EXAMINATION):
            continue
        admitted = sum(
            1 for d in decisions.values() if d.lot_id == lot.pk and d.outcome == Decision.Outcome.ADMITTED
        )
        rows.append([f"{lot.number} — {doc.text(lot.title)}", str(admitted), _moment(lot.opens_at)])
    doc.table_or_none([w("lot"), w("admitted_count"), w("room")], rows, widths=(50, 20, 30))

    doc.section("approvals")
    approvals = (
        examination.approvals.select_related("member__membership__user").order_by("approved_at", "id")
        if examination
        else []
    )
    doc.table_or_none(
        [w("member"), w("approved_at"), w("reservation")],
        [[_person(a.member.membership), _moment(a.approved_at), a.reservation or "—"] for a in approvals],
        widths=(35, 25, 40),
        empty="no_approval",
    )

    doc.generated(_moment(generated_at))
    return doc.output()
