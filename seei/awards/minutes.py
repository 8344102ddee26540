"""The auction minutes (procès-verbal de l'enchère) of a lot, generated from the data.

Written at the close and again at each award step, so the latest version always tells the whole
story: the notice and the lot, the frozen parameters, the admitted bidders, the full ranking
with prices and times, the extensions, any suspension, the award steps, and the ledger's final
hash with the way to verify it. Companies are named only once the award is final; before that
the minutes speak of pseudonyms, as the room did.

Like the admission minutes (seei.applications.minutes) it is an official record in the notice's
original language, each heading followed by its equivalents in the other two (see
seei.documents.minutes for why the wording is fixed rather than gettext).
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from seei.auctions import reasons, rules, signing
from seei.auctions.models import Bidder, LedgerEntry, Room, Suspension
from seei.awards.documents import MINUTES_LABELS as DOCUMENT_LABELS
from seei.awards.models import Award, AwardStep
from seei.documents.minutes import COMMON_LABELS, Minutes, Words, identifier, moment
from seei.transparency import selectors as transparency

LABELS = {
    **COMMON_LABELS,
    "title": {
        "fr": "Procès-verbal de l'enchère électronique inversée",
        "ar": "محضر المزاد الإلكتروني العكسي",
        "en": "Minutes of the reverse electronic auction",
    },
    "reference": {"fr": "Référence de l'avis", "ar": "مرجع الإعلان", "en": "Notice reference"},
    "estimate": {"fr": "Montant estimé", "ar": "المبلغ التقديري", "en": "Estimated amount"},
    "award_status": {"fr": "Situation de l'attribution", "ar": "وضعية الإسناد", "en": "Award status"},
    "provisional": {
        "fr": "Provisoire : pièces demandées",
        "ar": "مؤقت: الوثائق مطلوبة",
        "en": "Provisional: documents requested",
    },
    "final": {"fr": "Définitive", "ar": "نهائي", "en": "Final"},
    "unsuccessful": {
        "fr": "Infructueuse : aucun candidat restant",
        "ar": "عديم الجدوى: لم يبق أي مترشح",
        "en": "Unsuccessful: no candidate left",
    },
    "parameters": {"fr": "Paramètres de l'enchère", "ar": "معايير المزاد", "en": "Auction parameters"},
    "starting_price": {"fr": "Prix de départ", "ar": "الثمن الافتتاحي", "en": "Starting price"},
    "min_decrement": {"fr": "Pas minimal", "ar": "الحد الأدنى للتخفيض", "en": "Minimum decrement"},
    "max_decrement": {"fr": "Pas maximal", "ar": "الحد الأقصى للتخفيض", "en": "Maximum decrement"},
    "base": {"fr": "Pas mesuré depuis", "ar": "يحتسب التخفيض من", "en": "Decrement measured from"},
    "base_own": {
        "fr": "la dernière offre du soumissionnaire",
        "ar": "آخر عرض للمتزايد",
        "en": "the bidder's own last bid",
    },
    "base_best": {"fr": "la meilleure offre en cours", "ar": "أفضل عرض حالي", "en": "the current best price"},
    "opens": {"fr": "Ouverture de la salle", "ar": "افتتاح القاعة", "en": "Room opening"},
    "planned_close": {"fr": "Clôture prévue", "ar": "الإغلاق المقرر", "en": "Planned close"},
    "actual_close": {"fr": "Clôture effective", "ar": "الإغلاق الفعلي", "en": "Actual close"},
    "window": {"fr": "Fenêtre de prorogation", "ar": "فترة التمديد", "en": "Extension window"},
    "extension": {"fr": "Durée de prorogation", "ar": "مدة التمديد", "en": "Extension"},
    "cap": {
        "fr": "Nombre maximal de prorogations",
        "ar": "الحد الأقصى للتمديدات",
        "en": "Maximum extensions",
    },
    "unlimited": {"fr": "illimité", "ar": "غير محدود", "en": "unlimited"},
    "lead_only": {
        "fr": "Seul un changement de tête proroge",
        "ar": "لا يمدد إلا تغيير المتصدر",
        "en": "Only a change of leader extends",
    },
    "yes": {"fr": "oui", "ar": "نعم", "en": "yes"},
    "no": {"fr": "non", "ar": "لا", "en": "no"},
    "visibility": {"fr": "Visibilité", "ar": "ما يراه المتزايدون", "en": "Visibility"},
    "visibility_rank": {"fr": "rang seulement", "ar": "الترتيب فقط", "en": "own rank only"},
    "visibility_best": {
        "fr": "rang et meilleur prix",
        "ar": "الترتيب وأفضل ثمن",
        "en": "own rank and the best price",
    },
    "visibility_all": {
        "fr": "rang et tous les prix (anonymes)",
        "ar": "الترتيب وجميع الأثمان (مجهولة)",
        "en": "own rank and all prices (anonymous)",
    },
    "equal_best": {
        "fr": "Offre égale à la meilleure refusée",
        "ar": "رفض عرض مساو لأفضل عرض",
        "en": "Bid equal to the best refused",
    },
    "interval": {
        "fr": "Intervalle minimal entre deux offres",
        "ar": "الفاصل الأدنى بين عرضين",
        "en": "Minimum interval between two bids",
    },
    "seconds": {"fr": "{n} s", "ar": "{n} ثانية", "en": "{n} s"},
    "time_zone": {
        "fr": "Fuseau horaire des heures",
        "ar": "المنطقة الزمنية للأوقات",
        "en": "Time zone of the times",
    },
    "bidders": {"fr": "Soumissionnaires admis", "ar": "المتزايدون المقبولون", "en": "Admitted bidders"},
    "pseudonym": {"fr": "Pseudonyme", "ar": "الاسم المستعار", "en": "Pseudonym"},
    "hidden": {
        "fr": "Les identités restent masquées jusqu'à l'attribution définitive.",
        "ar": "تبقى الهويات مخفية إلى حين الإسناد النهائي.",
        "en": "Identities stay hidden until the award is final.",
    },
    "ranking": {"fr": "Classement final", "ar": "الترتيب النهائي", "en": "Final ranking"},
    "rank": {"fr": "Rang", "ar": "الرتبة", "en": "Rank"},
    "price": {"fr": "Prix", "ar": "الثمن", "en": "Price"},
    "time": {"fr": "Heure (serveur)", "ar": "الوقت (الخادم)", "en": "Time (server)"},
    "bids": {"fr": "Offres", "ar": "العروض", "en": "Bids"},
    "no_bid": {"fr": "Aucune offre.", "ar": "لا توجد عروض.", "en": "No bid."},
    "extensions": {"fr": "Prorogations", "ar": "التمديدات", "en": "Extensions"},
    "new_close": {"fr": "Nouvelle clôture", "ar": "الإغلاق الجديد", "en": "New closing time"},
    "suspensions": {"fr": "Suspensions", "ar": "التوقيفات", "en": "Suspensions"},
    "suspended": {"fr": "Suspendue le", "ar": "أوقف في", "en": "Suspended at"},
    "resumed": {"fr": "Reprise le", "ar": "استؤنف في", "en": "Resumed at"},
    "steps": {"fr": "Étapes de l'attribution", "ar": "مراحل الإسناد", "en": "Award steps"},
    "requested": {"fr": "Demandées le", "ar": "تاريخ الطلب", "en": "Requested"},
    "deadline": {"fr": "Date limite", "ar": "الأجل", "en": "Deadline"},
    "step_status": {"fr": "Issue", "ar": "النتيجة", "en": "Outcome"},
    "step_requested": {"fr": "Pièces demandées", "ar": "الوثائق مطلوبة", "en": "Documents requested"},
    "step_submitted": {"fr": "Pièces déposées", "ar": "الوثائق مودعة", "en": "Documents submitted"},
    "step_confirmed": {"fr": "Attribution confirmée", "ar": "الإسناد مؤكد", "en": "Award confirmed"},
    "step_failed": {"fr": "Défaillant", "ar": "متخلف", "en": "Failed"},
    "documents": {"fr": "Pièces exigées", "ar": "الوثائق المطلوبة", "en": "Documents required"},
    "low_price": {
        "fr": "Prix anormalement bas signalé ; vérification de la commission",
        "ar": "ثمن منخفض بشكل غير عاد؛ تحقق اللجنة",
        "en": "Abnormally low price flagged; the commission's check",
    },
    "not_checked": {"fr": "pas encore vérifié", "ar": "لم يتم التحقق بعد", "en": "not checked yet"},
    "integrity": {"fr": "Intégrité du registre", "ar": "سلامة السجل", "en": "Integrity of the ledger"},
    "entries": {"fr": "Entrées du registre", "ar": "مدخلات السجل", "en": "Ledger entries"},
    "genesis_hash": {"fr": "Empreinte initiale (genèse)", "ar": "البصمة الأولى", "en": "Genesis hash"},
    "final_hash": {
        "fr": "Empreinte finale du registre (SHA-256)",
        "ar": "البصمة النهائية للسجل (SHA-256)",
        "en": "Final hash of the ledger (SHA-256)",
    },
    "how_to_verify": {
        "fr": "Pour vérifier : télécharger le registre anonymisé, puis exécuter la commande ci-dessous avec la clé publique de la plateforme. Elle recalcule la chaîne, les signatures et le classement, et doit retrouver cette empreinte finale.",
        "ar": "للتحقق: حمّلوا السجل المجهول الهوية ثم نفذوا الأمر أدناه بالمفتاح العمومي للمنصة. يعيد حساب السلسلة والتوقيعات والترتيب، ويجب أن يجد نفس البصمة النهائية.",
        "en": "To verify: download the anonymised ledger, then run the command below with the platform's public key. It recomputes the chain, the signatures and the ranking, and must find this final hash.",
    },
    "ledger_url": {"fr": "Registre", "ar": "السجل", "en": "Ledger"},
    "key_url": {"fr": "Clé publique", "ar": "المفتاح العمومي", "en": "Public key"},
    "log": {
        "fr": "Journal de transparence : feuille {index} de l'arbre de {size}",
        "ar": "سجل الشفافية: الورقة {index} من شجرة من {size}",
        "en": "Transparency log: leaf {index} of the tree of {size}",
    },
    "log_head": {
        "fr": "Tête signée de l'arbre (racine, date, empreinte de la tête précédente)",
        "ar": "رأس الشجرة الموقع (الجذر، التاريخ، بصمة الرأس السابق)",
        "en": "Signed tree head (root, time, hash of the previous head)",
    },
    "key_fingerprint": {
        "fr": "Empreinte de la clé (SHA-256)",
        "ar": "بصمة المفتاح (SHA-256)",
        "en": "Key fingerprint (SHA-256)",
    },
}


def _moment(value, seconds: bool = True) -> str:
    """Bids are timed to the second; the award steps to the minute."""
    return moment(value, seconds=seconds)


def _with_colon(w: Words, label: str, text: str) -> str:
    """French puts a space before the colon."""
    return f"{label} : {text}" if w.lang == "fr" else f"{label}: {text}"


def _decrement(decrement: rules.Decrement | None, params: rules.LotParams, w: Words) -> str:
    if decrement is None:
        return w("none")
    amount = decrement.step(params.starting_price).quantize(params.unit)
    step = reasons.format_amount(amount, params.currency, w.lang)
    if decrement.kind == "percent":
        return f"{rules.format_decimal(decrement.value.normalize())} % ({step})"
    return step


def _extensions_and_suspensions(room: Room, params: rules.LotParams):
    """Replay the ledger: the bids that moved the close, and each suspension with its resumption."""
    state = rules.State.initial(params)
    extensions, suspensions = [], []
    for entry in LedgerEntry.objects.filter(room=room).order_by("seq"):
        before = state.closes_at
        state = rules.apply_event(params, state, entry.as_entry())
        if entry.type == "bid" and state.closes_at != before:
            extensions.append((entry.at, entry.data.get("bidder"), state.closes_at))
        elif entry.type == "suspend":
            suspensions.append([entry.at, None])
        elif entry.type == "resume" and suspensions:
            suspensions[-1][1] = entry.at
    return extensions, suspensions


def _suspension_reason(lot_id: int, at, lang: str) -> str:
    found = (
        Suspension.objects.filter(lots__contains=[lot_id], started_at__lte=at).order_by("-started_at").first()
    )
    if found is None:
        return "—"
    with translation.override(lang):  # an automatic suspension's cause, in the minutes' language
        return found.reason_text


def _public_urls(lot, lang: str) -> tuple[str, str]:
    with translation.override(lang):
        key = reverse("auctions:public_key")
    return f"{settings.SITE_URL}/api/v1/lots/{lot.pk}/ledger", f"{settings.SITE_URL}{key}"


def auction_minutes_pdf(award: Award, generated_at) -> bytes:
    lot = award.lot
    tender = lot.tender
    lang = tender.original_language
    room = Room.objects.get(lot=lot)
    params = rules.LotParams.from_dict(room.params)
    state = rules.State.from_dict(room.state)
    final = award.status == Award.Status.FINAL
    companies = {b.pseudonym: b.company for b in Bidder.objects.filter(room=room).select_related("company")}
    money = lambda amount: reasons.format_amount(amount, params.currency, lang)  # noqa: E731
    bids_per_bidder = {}
    for bid in state.bids:
        bids_per_bidder[bid.bidder] = bids_per_bidder.get(bid.bidder, 0) + 1

    doc = Minutes(LABELS, lang=lang, ref=room.ref, created_at=generated_at)
    w = doc.words
    doc.notice_fields(
        tender,
        (w("lot"), f"{lot.number} — {doc.text(lot.title)}"),
        (w("estimate"), money(lot.estimated_amount)),
        (w("award_status"), w(award.status)),
    )

    doc.section("parameters")
    seconds = lambda delta: w("seconds").format(n=int(delta.total_seconds()))  # noqa: E731
    doc.fields(
        [
            (w("starting_price"), money(params.starting_price)),
            (w("min_decrement"), _decrement(params.min_decrement, params, w)),
            (w("max_decrement"), _decrement(params.max_decrement, params, w)),
            (w("base"), w("base_own") if params.decrement_base == "own" else w("base_best")),
            (w("opens"), _moment(params.opens_at)),
            (w("planned_close"), _moment(params.closes_at)),
            (w("actual_close"), _moment(state.closes_at)),
            (w("window"), seconds(params.extension_window)),
            (w("extension"), seconds(params.extension)),
            (w("cap"), str(params.extension_cap) if params.extension_cap is not None else w("unlimited")),
            (w("lead_only"), w("yes") if params.only_lead_change_extends else w("no")),
            (w("visibility"), w(f"visibility_{params.visibility}")),
            (w("equal_best"), w("yes") if params.refuse_equal_best else w("no")),
            (w("interval"), seconds(params.min_bid_interval)),
            (w("time_zone"), settings.TIME_ZONE),
        ],
        label_width=40,
    )

    doc.section("bidders")
    if final:
        doc.table(
            [w("pseudonym"), w("company"), w("identifier")],
            [[p, companies[p].name, identifier(companies[p])] for p in params.bidders if p in companies],
            widths=(25, 50, 25),
        )
    else:
        doc.table([w("pseudonym")], [[p] for p in params.bidders])
        doc.paragraph(w("hidden"), muted=True, size=9)

    doc.section("ranking")
    headers = (
        [w("rank"), w("pseudonym")] + ([w("company")] if final else []) + [w("price"), w("time"), w("bids")]
    )
    rows = []
    for rank, bid in enumerate(state.ranking(), start=1):
        row = [str(rank), bid.bidder]
        if final:
            row.append(companies[bid.bidder].name if bid.bidder in companies else "—")
        row += [money(bid.amount), _moment(bid.at), str(bids_per_bidder.get(bid.bidder, 0))]
        rows.append(row)
    doc.table_or_none(
        headers, rows, widths=(8, 18, 28, 20, 18, 8) if final else (10, 25, 30, 25, 10), empty="no_bid"
    )

    extensions, suspensions = _extensions_and_suspensions(room, params)
    doc.section("extensions", f"{w('extensions')} ({len(extensions)})")
    doc.table_or_none(
        [w("time"), w("pseudonym"), w("new_close")],
        [[_moment(at), bidder, _moment(new_close)] for at, bidder, new_close in extensions],
        widths=(35, 30, 35),
    )

    doc.section("suspensions")
    doc.table_or_none(
        [w("suspended"), w("resumed"), w("reason")],
        [
            [_moment(start), _moment(end), _suspension_reason(lot.pk, start, w.lang)]
            for start, end in suspensions
        ],
        widths=(25, 25, 50),
    )

    doc.section("steps")
    documents = ", ".join(
        DOCUMENT_LABELS.get(kind, {}).get(w.lang, kind) for kind in award.required_documents
    )
    doc.paragraph(_with_colon(w, w("documents"), documents), size=9)
    steps = list(AwardStep.objects.filter(award=award).select_related("bidder", "company").order_by("rank"))
    rows = []
    for step in steps:
        candidate = f"{step.bidder.pseudonym} — {step.company.name}" if final else step.bidder.pseudonym
        outcome = w(f"step_{step.status}")
        if step.reason:
            outcome = _with_colon(w, outcome, step.reason)
        rows.append(
            [
                str(step.rank),
                candidate,
                money(step.amount),
                _moment(step.requested_at, seconds=False),
                _moment(step.documents_deadline, seconds=False),
                f"{outcome} ({_moment(step.decided_at, seconds=False)})" if step.decided_at else outcome,
            ]
        )
    doc.table(
        [w("rank"), w("pseudonym"), w("price"), w("requested"), w("deadline"), w("step_status")],
        rows,
        widths=(8, 23, 19, 13, 13, 24),
    )
    for step in steps:
        if step.low_price:
            check = step.low_price_note if step.low_price_checked else w("not_checked")
            doc.paragraph(f"{w('low_price')} ({w('rank')} {step.rank}): {check}", size=9)

    doc.section("integrity")
    ledger_url, key_url = _public_urls(lot, lang)
    doc.fields(
        [
            (w("entries"), str(room.seq + 1)),
            (w("ledger_url"), ledger_url),
            (w("key_url"), key_url),
        ],
        label_width=30,
    )
    doc.paragraph(w("key_fingerprint"), bold=True)
    doc.paragraph(signing.fingerprint(), size=9.5)
    logged = transparency.inclusion(lot.pk)
    if logged is not None:  # every closed real lot; never a practice one
        head = logged["head"]
        doc.paragraph(w("log").format(index=logged["leaf_index"], size=head["size"]), bold=True)
        doc.paragraph(w("log_head"), size=9)
        for value in (head["root"], head["at"], head["prev"]):
            doc.paragraph(value, size=9.5)
    doc.paragraph(w("genesis_hash"), bold=True)
    doc.paragraph(room.genesis_hash, size=9.5)
    doc.paragraph(w("final_hash"), bold=True)
    doc.paragraph(room.last_hash, size=9.5)
    doc.spacer(1)
    doc.paragraph(w("how_to_verify"), size=9)
    doc.paragraph(signing.verify_command("LEDGER.json"), size=9.5)

    doc.generated(moment(generated_at, seconds=True, zone=True))
    return doc.output()
