"""What the demo's loaders share: the accounts' password, and how an organisation, a person, a PDF, a
lot and a notice are made (each looked up by a natural key first, so that loading twice is fine)."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from seei.accounts.models import Membership, Organisation, User
from seei.core import clock
from seei.core.translated import make
from seei.tenders import services
from seei.tenders.models import Category, Region, Tender

DEMO_PASSWORD = "demo-seei-2026"


def org(name, kind, **fields):
    return Organisation.objects.get_or_create(name=name, kind=kind, defaults=fields)[0]


def person(email, organisation, role, first, last, language="fr", staff=False):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email,
            DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            language=language,
            email_verified=True,
            is_staff=staff,
            is_superuser=staff,
        )
    Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    return Membership.objects.get(user=user, organisation=organisation, role=role)


def pdf(title: str) -> SimpleUploadedFile:
    body = (
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        f"% {title}\n"
    )
    return SimpleUploadedFile(f"{title}.pdf", body.encode(), content_type="application/pdf")


def lot(now, title_fr, title_en, estimate, items, days=15, **params):
    values = {
        "title": make("fr", fr=title_fr, en=title_en),
        "estimated_amount": Decimal(estimate),
        "starting_price": Decimal(estimate),
        "min_decrement_kind": "percent",
        "min_decrement": Decimal("0.5"),
        "max_decrement_kind": "percent",
        "max_decrement": Decimal("10"),
        "decrement_base": "own",
        "opens_at": now + timedelta(days=days),
        "duration_minutes": 30,
        "extension_window_seconds": 180,
        "extension_seconds": 180,
        "visibility": "best",
        "refuse_equal_best": True,
        "min_bid_interval_seconds": 5,
    }
    values.update(params)
    item_rows = [
        {
            "designation": make("fr", fr=d_fr, en=d_en),
            "specification": make("fr", fr=s_fr, en=s_en),
            "quantity": Decimal(q),
            "unit": unit,
        }
        for d_fr, d_en, s_fr, s_en, q, unit in items
    ]
    return values, item_rows


def tender(
    agent,
    reference,
    category,
    region,
    title,
    obj,
    lots,
    *,
    currency="MAD",
    international=False,
    deadline_days=12,
    published_days_ago=0,
    publish=True,
    documents=("Cahier des prescriptions spéciales",),
):
    existing = Tender.objects.filter(reference=reference).first()
    if existing:
        return existing, False
    now = clock.now()
    notice = services.create_tender(
        agent,
        {
            "reference": reference,
            "original_language": "fr",
            "title": title,
            "object": obj,
            "category": Category.objects.get(code=category),
            "region": Region.objects.get(code=region),
            "delivery_place": agent.organisation.city or "Rabat",
            "delivery_terms": make(
                "fr",
                fr="Livraison franco de port sous 60 jours",
                en="Delivered free of charge within 60 days",
            ),
            "currency": currency,
            "international": international,
            "application_deadline": now + timedelta(days=max(deadline_days, 10) + published_days_ago),
        },
    )
    for values, items in lots:
        earliest_room = notice.application_deadline + timedelta(days=3)
        services.save_lot(
            agent, notice, {**values, "opens_at": max(values["opens_at"], earliest_room)}, items
        )
    for title_doc in documents:
        services.add_document(agent, notice, pdf(title_doc), title_doc)
    if publish:
        notice = services.publish(agent, notice)
        if published_days_ago:
            # An older notice: moved back in time as a whole, as if published earlier.
            shift = timedelta(days=published_days_ago)
            Tender.objects.filter(pk=notice.pk).update(
                published_at=notice.published_at - shift,
                application_deadline=now + timedelta(days=deadline_days),
            )
            for each in notice.lots.all():
                each.opens_at = now + timedelta(days=deadline_days + 3)
                each.save(update_fields=["opens_at"])
        notice.refresh_from_db()
    return notice, True
