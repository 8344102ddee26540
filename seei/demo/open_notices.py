"""The demo's open notices, with their lots, items and files: published ones in several states (the
wheelchairs with a published answer and an erratum, coal in two lots in US dollars, street lights
closing soon, school furniture, computers) and a draft (dialysis consumables). They include the
examples in ARCHITECTURE.md: the wheelchairs, and coal in two lots."""

from seei.accounts.models import Membership
from seei.core import clock
from seei.core.translated import make
from seei.demo.common import lot, tender
from seei.tenders import services


def load(agents: dict[str, Membership]) -> None:
    """``agents``: the buyer agents by email (``people.load()``'s)."""
    hospital_agent = agents["acheteur@sante.gov.ma"]
    energy_agent = agents["acheteur@onee.ma"]
    city_agent = agents["acheteur@casablanca.ma"]
    education_agent = agents["acheteur@men.gov.ma"]
    now = clock.now()
    wheelchairs, created = tender(
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
            lot(
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
    tender(
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
            lot(
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
            lot(
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
    tender(
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
            lot(
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
    tender(
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
            lot(
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
    tender(
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
            lot(
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
    tender(
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
            lot(
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
