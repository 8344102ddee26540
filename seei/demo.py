"""Realistic demo data: buyers, companies, an accountant post, and notices in several states.

Idempotent: everything is looked up by a natural key first, so running it twice is fine.
It includes the examples in ARCHITECTURE.md: the wheelchairs, and coal in two lots.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from seei.accounts.models import Membership, Organisation, Role, User
from seei.alerts.models import Subscription
from seei.auctions import demo as auctions_demo
from seei.core import clock
from seei.core.translated import make
from seei.opendata import history
from seei.tenders import services
from seei.tenders.models import Category, Region, Tender

DEMO_PASSWORD = "demo-seei-2026"


def _org(name, kind, **fields):
    return Organisation.objects.get_or_create(name=name, kind=kind, defaults=fields)[0]


def _person(email, organisation, role, first, last, language="fr", staff=False):
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


def _pdf(title: str) -> SimpleUploadedFile:
    body = (
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        f"% {title}\n"
    )
    return SimpleUploadedFile(f"{title}.pdf", body.encode(), content_type="application/pdf")


def _lot(now, title_fr, title_en, estimate, items, days=15, **params):
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


def _tender(
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
    tender = services.create_tender(
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
        earliest_room = tender.application_deadline + timedelta(days=3)
        services.save_lot(
            agent, tender, {**values, "opens_at": max(values["opens_at"], earliest_room)}, items
        )
    for title_doc in documents:
        services.add_document(agent, tender, _pdf(title_doc), title_doc)
    if publish:
        tender = services.publish(agent, tender)
        if published_days_ago:
            # An older notice: moved back in time as a whole, as if published earlier.
            shift = timedelta(days=published_days_ago)
            Tender.objects.filter(pk=tender.pk).update(
                published_at=tender.published_at - shift,
                application_deadline=now + timedelta(days=deadline_days),
            )
            for lot in tender.lots.all():
                lot.opens_at = now + timedelta(days=deadline_days + 3)
                lot.save(update_fields=["opens_at"])
        tender.refresh_from_db()
    return tender, True


@transaction.atomic
def load():
    platform = _org("Trésorerie Générale du Royaume — Plateforme SEEI", Organisation.Kind.PLATFORM)
    health = _org("Ministère de la Santé", "buyer", buyer_type="ministry", city="Rabat")
    hospitals = _org(
        "Direction des Hôpitaux et des Soins Ambulatoires",
        "buyer",
        buyer_type="public_body",
        parent=health,
        city="Rabat",
    )
    energy = _org(
        "Office National de l'Électricité et de l'Eau Potable",
        "buyer",
        buyer_type="public_body",
        city="Casablanca",
    )
    casablanca = _org("Commune de Casablanca", "buyer", buyer_type="local_authority", city="Casablanca")
    education = _org("Ministère de l'Éducation Nationale", "buyer", buyer_type="ministry", city="Rabat")
    post = _org("Trésorerie Ministérielle de la Santé", Organisation.Kind.ACCOUNTANT_POST, city="Rabat")
    post.perimeter.add(health, hospitals)

    companies = [
        ("Atlas Médical SARL", "001524873000061", "RC-CASA-98321", "Casablanca", "MA", ""),
        ("Sahara Équipements SA", "002118934000047", "RC-MARR-44120", "Marrakech", "MA", ""),
        ("Rif Distribution SARL", "001987654000032", "RC-TNG-77310", "Tanger", "MA", ""),
        ("Maghreb Bureautique SA", "002334455000019", "RC-RABAT-11802", "Rabat", "MA", ""),
        ("Charbonnages Méditerranée SAS", None, "", "Marseille", "FR", "FR-RCS-812345678"),
    ]
    company_orgs = []
    for name, ice, rc, city, country, registration in companies:
        org = Organisation.objects.filter(name=name, kind="company").first() or Organisation.objects.create(
            name=name,
            kind="company",
            ice=ice,
            rc=rc,
            city=city,
            country=country,
            national_registration=registration,
        )
        company_orgs.append(org)

    accounts = []

    def person(label, email, org, role, first, last, **extra):
        membership = _person(email, org, role, first, last, **extra)
        accounts.append((label, email))
        return membership

    person(
        "Platform administrator",
        "admin@seei.example",
        platform,
        Role.ADMINISTRATOR,
        "Admin",
        "SEEI",
        staff=True,
    )
    hospital_agent = person(
        "Buyer agent (hospitals)", "acheteur@sante.gov.ma", hospitals, Role.BUYER_AGENT, "Amina", "El Idrissi"
    )
    energy_agent = person(
        "Buyer agent (energy)", "acheteur@onee.ma", energy, Role.BUYER_AGENT, "Karim", "Benjelloun"
    )
    city_agent = person(
        "Buyer agent (Casablanca)",
        "acheteur@casablanca.ma",
        casablanca,
        Role.BUYER_AGENT,
        "Salma",
        "Bennani",
        language="ar",
    )
    education_agent = person(
        "Buyer agent (education)",
        "acheteur@men.gov.ma",
        education,
        Role.BUYER_AGENT,
        "Youssef",
        "Alaoui",
        language="en",
    )
    person("Commission member", "commission@sante.gov.ma", hospitals, Role.COMMISSION_MEMBER, "Nadia", "Tazi")
    person("Accountant", "comptable@tgr.gov.ma", post, Role.ACCOUNTANT, "Hicham", "Berrada")
    for org, email, first in zip(
        company_orgs,
        [
            "contact@atlas-medical.ma",
            "contact@sahara-equipements.ma",
            "contact@rif-distribution.ma",
            "contact@maghreb-bureautique.ma",
            "contact@charbonnages-med.fr",
        ],
        ["Omar", "Leila", "Rachid", "Imane", "Pierre"],
        strict=True,
    ):
        person(f"Company ({org.name})", email, org, Role.COMPANY_MEMBER, first, "Demo")

    for org, codes in zip(
        company_orgs, [["04", "05"], ["04", "03"], ["06", "09"], ["01", "02", "03"], ["06"]], strict=True
    ):
        for code in codes:
            Subscription.objects.get_or_create(company=org, category=Category.objects.get(code=code))

    now = clock.now()
    wheelchairs, created = _tender(
        hospital_agent,
        "AO-DHSA-2026-014",
        "04",
        "MA-04",
        make(
            "fr",
            fr="Acquisition de fauteuils roulants",
            ar="اقتناء كراسي متحركة",
            en="Purchase of wheelchairs",
        ),
        make(
            "fr",
            fr="Fourniture et livraison de fauteuils roulants pour les centres hospitaliers régionaux",
            ar="توريد وتسليم كراسي متحركة لفائدة المراكز الاستشفائية الجهوية",
            en="Supply and delivery of wheelchairs for the regional hospital centres",
        ),
        [
            _lot(
                now,
                "Fauteuils roulants manuels et électriques",
                "Manual and electric wheelchairs",
                "603846.00",
                [
                    (
                        "Fauteuil roulant manuel pliable",
                        "Folding manual wheelchair",
                        "Châssis acier chromé, assise 45 cm, charge maximale 120 kg, freins à tambour",
                        "Chromed steel frame, 45 cm seat, 120 kg maximum load, drum brakes",
                        "900",
                        "unité",
                    ),
                    (
                        "Fauteuil roulant électrique",
                        "Electric wheelchair",
                        "Autonomie 25 km, batterie lithium 24 V, vitesse 6 km/h",
                        "25 km range, 24 V lithium battery, 6 km/h",
                        "60",
                        "unité",
                    ),
                ],
            )
        ],
        documents=("Cahier des prescriptions spéciales", "Bordereau des prix"),
    )
    _tender(
        energy_agent,
        "AOI-ONEE-2026-003",
        "06",
        "INT",
        make(
            "fr",
            fr="Fourniture de charbon pour centrales thermiques",
            en="Supply of coal for thermal power plants",
        ),
        make(
            "fr",
            fr="Fourniture de charbon vapeur en deux lots, livraison CAF port de Jorf Lasfar",
            en="Supply of steam coal in two lots, delivered CIF at the port of Jorf Lasfar",
        ),
        [
            _lot(
                now,
                "Lot 1 : charbon vapeur 6 000 kcal/kg",
                "Lot 1: steam coal 6,000 kcal/kg",
                "3500000.00",
                [
                    (
                        "Charbon vapeur",
                        "Steam coal",
                        "PCI ≥ 6 000 kcal/kg, soufre ≤ 1 %, cendres ≤ 15 %",
                        "NCV ≥ 6,000 kcal/kg, sulphur ≤ 1%, ash ≤ 15%",
                        "45000",
                        "tonne",
                    )
                ],
                days=16,
            ),
            _lot(
                now,
                "Lot 2 : charbon vapeur 5 500 kcal/kg",
                "Lot 2: steam coal 5,500 kcal/kg",
                "3220885.84",
                [
                    (
                        "Charbon vapeur",
                        "Steam coal",
                        "PCI ≥ 5 500 kcal/kg, soufre ≤ 0,8 %, humidité ≤ 12 %",
                        "NCV ≥ 5,500 kcal/kg, sulphur ≤ 0.8%, moisture ≤ 12%",
                        "48000",
                        "tonne",
                    )
                ],
                days=16,
            ),
        ],
        currency="USD",
        international=True,
        deadline_days=13,
    )
    _tender(
        city_agent,
        "AO-CASA-2026-027",
        "10",
        "MA-06",
        make(
            "fr",
            fr="Lampadaires LED pour l'éclairage public",
            ar="مصابيح LED للإنارة العمومية",
            en="LED street lights",
        ),
        make(
            "fr",
            fr="Acquisition de luminaires LED pour l'éclairage public des arrondissements",
            ar="اقتناء مصابيح LED للإنارة العمومية بالمقاطعات",
        ),
        [
            _lot(
                now,
                "Luminaires LED 120 W",
                "LED luminaires 120 W",
                "1850000.00",
                [
                    (
                        "Luminaire LED 120 W",
                        "LED luminaire 120 W",
                        "Flux ≥ 15 000 lm, IP66, durée de vie 100 000 h",
                        "Flux ≥ 15,000 lm, IP66, 100,000 h lifetime",
                        "2400",
                        "unité",
                    )
                ],
            )
        ],
        deadline_days=2,
        published_days_ago=10,
    )
    _tender(
        education_agent,
        "AO-MEN-2026-102",
        "03",
        "MA-03",
        make("fr", fr="Mobilier scolaire pour les écoles rurales", en="School furniture for rural schools"),
        make(
            "fr",
            fr="Fourniture de tables-bancs et d'armoires pour les écoles rurales de Fès-Meknès",
            en="Supply of desks and cupboards for rural schools in Fez-Meknes",
        ),
        [
            _lot(
                now,
                "Tables-bancs biplaces",
                "Two-seat desks",
                "420000.00",
                [
                    (
                        "Table-banc biplace",
                        "Two-seat desk",
                        "Structure métallique, plateau en mélaminé 18 mm",
                        "Metal frame, 18 mm melamine top",
                        "3000",
                        "unité",
                    )
                ],
            )
        ],
    )
    _tender(
        hospital_agent,
        "AO-DHSA-2026-015",
        "05",
        "MA-04",
        make("fr", fr="Consommables de dialyse", en="Dialysis consumables"),
        make(
            "fr",
            fr="Fourniture de consommables pour les centres d'hémodialyse",
            en="Consumables for haemodialysis centres",
        ),
        [
            _lot(
                now,
                "Dialyseurs et lignes",
                "Dialysers and lines",
                "980000.00",
                [
                    (
                        "Dialyseur haute perméabilité",
                        "High-flux dialyser",
                        "Membrane polysulfone 1,8 m², stérilisation vapeur",
                        "Polysulfone membrane 1.8 m², steam sterilised",
                        "20000",
                        "unité",
                    )
                ],
            )
        ],
        publish=False,
    )
    _tender(
        hospital_agent,
        "AO-DHSA-2026-009",
        "02",
        "MA-04",
        make("fr", fr="Postes informatiques pour les hôpitaux", en="Computers for hospitals"),
        make(
            "fr",
            fr="Acquisition de postes de travail et d'imprimantes",
            en="Purchase of workstations and printers",
        ),
        [
            _lot(
                now,
                "Postes de travail",
                "Workstations",
                "750000.00",
                [
                    (
                        "Poste de travail",
                        "Workstation",
                        'Processeur 8 cœurs, 16 Go RAM, SSD 512 Go, écran 24"',
                        '8-core CPU, 16 GB RAM, 512 GB SSD, 24" screen',
                        "250",
                        "unité",
                    )
                ],
            )
        ],
    )

    if created:
        # A question answered and an erratum, as the publicity phase goes.
        atlas = Membership.objects.get(user__email="contact@atlas-medical.ma")
        question = services.ask_clarification(
            atlas,
            wheelchairs,
            "Les fauteuils électriques doivent-ils être livrés avec un chargeur de rechange ?",
        )
        services.answer_clarification(
            hospital_agent,
            question,
            "Oui, un chargeur de rechange par fauteuil électrique est exigé.",
            "Les fauteuils roulants électriques doivent-ils être livrés avec un chargeur de rechange ?",
        )
        services.publish_erratum(
            hospital_agent,
            wheelchairs,
            "Précision du lieu de livraison",
            tender_values={"delivery_place": "Rabat, magasin central du CHU Ibn Sina"},
        )
    auctions_demo.load()
    history.load()  # the programme's year 2016, to the cent
    return accounts
