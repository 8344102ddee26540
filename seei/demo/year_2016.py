"""The programme's year 2016, rebuilt as demo data whose statistics give back its published figures.

Published (ARCHITECTURE.md, section 1): 93 auctions, estimated US$ 4,773,216.67, awarded
US$ 3,343,802.29, saving US$ 1,038,174.63 (21.75 %), record saving 60.16 %, and a wheelchair
auction estimated at US$ 603,846.00 awarded at US$ 274,003.20.

``plan()`` draws the year from a fixed seed (buyers, categories, regions, lots, applicants,
bidders, prices), then corrects a few lots so that the sums fall exactly on the published
totals. Notices are in US dollars, or in dirhams with the month's MAD→USD rate recorded on the
notice; a dirham amount is chosen so that, converted and rounded to the cent, it gives the
planned dollar amount. ``load()`` writes it through the same models as a live year: notices,
lots, items, applications, auction rooms whose ledgers are produced by the auction rules
(``seei.auctions.rules``) and signed like live ones, awards and award steps. It is idempotent.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from seei.auctions import ledger, rules
from seei.core.translated import make

YEAR = 2016
SEED = 2016
TIMEZONE = ZoneInfo("Africa/Casablanca")


@dataclass(frozen=True)
class Published:
    auctions: int
    estimated: Decimal
    awarded: Decimal
    saving: Decimal
    saving_percent: Decimal
    record_percent: Decimal


PUBLISHED_2016 = Published(
    auctions=93,
    estimated=Decimal("4773216.67"),
    awarded=Decimal("3343802.29"),
    saving=Decimal("1038174.63"),
    saving_percent=Decimal("21.75"),
    record_percent=Decimal("60.16"),
)
WHEELCHAIRS_REFERENCE = "AO-DHSA-2016-001"
RECORD_REFERENCE = "AO-MEF-2016-002"

# In cents of US dollars, so that every sum is exact.
_ESTIMATED = 477321667
_AWARDED = 334380229
_SAVING = 103817463
_WHEELCHAIRS = (60384600, 27400320)  # estimate, awarded
_RECORD = (4825000, 1922280)  # 60.16 % exactly: 48,250.00 → 19,222.80
_UNSUCCESSFUL_ESTIMATE = _ESTIMATED - _AWARDED - _SAVING  # 391,239.75: the lots without an award

# Auction parameters of the year (a percentage of the starting price = the estimate).
MIN_DECREMENT_PERCENT = Decimal("0.5")
MAX_DECREMENT_PERCENT = Decimal("20")
DURATION = timedelta(minutes=30)

# Value of 1 MAD in USD, month by month (rounded monthly averages of 2016).
MAD_TO_USD = {
    1: "0.1003",
    2: "0.1011",
    3: "0.1022",
    4: "0.1032",
    5: "0.1030",
    6: "0.1027",
    7: "0.1024",
    8: "0.1027",
    9: "0.1031",
    10: "0.1025",
    11: "0.1006",
    12: "0.0991",
}

# Buyers ---------------------------------------------------------------------------------------------
# key: (name, buyer type, parent key, city, region code, reference code)
BUYERS = {
    "sante": ("Ministère de la Santé", "ministry", None, "Rabat", "MA-04", "MS"),
    "dhsa": (
        "Direction des Hôpitaux et des Soins Ambulatoires",
        "public_body",
        "sante",
        "Rabat",
        "MA-04",
        "DHSA",
    ),
    "chu": (
        "Centre Hospitalier Universitaire Ibn Rochd",
        "public_body",
        "sante",
        "Casablanca",
        "MA-06",
        "CHUIR",
    ),
    "men": ("Ministère de l'Éducation Nationale", "ministry", None, "Rabat", "MA-04", "MEN"),
    "aref": (
        "Académie Régionale d'Éducation et de Formation de Fès-Meknès",
        "public_body",
        "men",
        "Fès",
        "MA-03",
        "AREFFM",
    ),
    "onee": (
        "Office National de l'Électricité et de l'Eau Potable",
        "public_body",
        None,
        "Casablanca",
        "MA-06",
        "ONEE",
    ),
    "casa": ("Commune de Casablanca", "local_authority", None, "Casablanca", "MA-06", "CASA"),
    "marrakech": ("Commune de Marrakech", "local_authority", None, "Marrakech", "MA-07", "MRK"),
    "oujda": ("Commune d'Oujda", "local_authority", None, "Oujda", "MA-02", "OUJ"),
    "agadir": ("Commune d'Agadir", "local_authority", None, "Agadir", "MA-09", "AGA"),
    "tanger": ("Région de Tanger-Tétouan-Al Hoceïma", "local_authority", None, "Tanger", "MA-01", "RTTA"),
    "agriculture": (
        "Ministère de l'Agriculture et de la Pêche Maritime",
        "ministry",
        None,
        "Rabat",
        "MA-04",
        "MAPM",
    ),
    "onssa": (
        "Office National de Sécurité Sanitaire des Produits Alimentaires",
        "public_body",
        "agriculture",
        "Rabat",
        "MA-04",
        "ONSSA",
    ),
    "finances": ("Ministère de l'Économie et des Finances", "ministry", None, "Rabat", "MA-04", "MEF"),
    "interieur": ("Ministère de l'Intérieur", "ministry", None, "Rabat", "MA-04", "MI"),
    "justice": ("Ministère de la Justice", "ministry", None, "Rabat", "MA-04", "MJ"),
    "equipement": (
        "Ministère de l'Équipement, du Transport et de la Logistique",
        "ministry",
        None,
        "Rabat",
        "MA-04",
        "METL",
    ),
}

# Companies ------------------------------------------------------------------------------------------
# (name, ICE or None, city, country, national registration, category codes; "*" = general supplier)
# The first four are the demo's own companies (people.py's: same names and ICE), so both loaders share them.
COMPANIES = [
    ("Atlas Médical SARL", "001524873000061", "Casablanca", "MA", "", "04 05"),
    ("Sahara Équipements SA", "002118934000047", "Marrakech", "MA", "", "04 03"),
    ("Rif Distribution SARL", "001987654000032", "Tanger", "MA", "", "06 09"),
    ("Maghreb Bureautique SA", "002334455000019", "Rabat", "MA", "", "01 02 03"),
    ("Médi-Maroc Distribution SARL", "003101000000011", "Casablanca", "MA", "", "04 05"),
    ("BioLab Maghreb SARL", "003101000000022", "Rabat", "MA", "", "04 05 12"),
    ("Pharma Sud SA", "003101000000033", "Agadir", "MA", "", "05"),
    ("Santé Équipements Nord SARL", "003101000000044", "Tétouan", "MA", "", "04"),
    ("Informatique du Nord SARL", "003101000000055", "Tanger", "MA", "", "02 15"),
    ("DataSys Maroc SA", "003101000000066", "Casablanca", "MA", "", "02 15"),
    ("Atlas Télécom SARL", "003101000000077", "Rabat", "MA", "", "15 02 10"),
    ("Papeterie Centrale SARL", "003101000000088", "Casablanca", "MA", "", "01"),
    ("Bureau Plus SARL", "003101000000099", "Fès", "MA", "", "01 03"),
    ("Meubles de Fès SARL", "003101000000101", "Fès", "MA", "", "03 12"),
    ("Ébénisterie Moderne SARL", "003101000000112", "Meknès", "MA", "", "03"),
    ("Petrom Atlas SA", "003101000000123", "Mohammedia", "MA", "", "06"),
    ("Lubrifiants du Sud SARL", "003101000000134", "Agadir", "MA", "", "06"),
    ("Auto Équipement Maroc SA", "003101000000145", "Casablanca", "MA", "", "07"),
    ("Engins du Souss SARL", "003101000000156", "Agadir", "MA", "", "07 14"),
    ("Agro Distribution Saïss SARL", "003101000000167", "Meknès", "MA", "", "08"),
    ("Les Moulins du Gharb SA", "003101000000178", "Kénitra", "MA", "", "08"),
    ("Hygiène Services SARL", "003101000000189", "Salé", "MA", "", "09"),
    ("Clean Pro Maroc SARL", "003101000000191", "Casablanca", "MA", "", "09"),
    ("Électro Lumière SARL", "003101000000202", "Casablanca", "MA", "", "10"),
    ("Câblerie du Maroc SA", "003101000000213", "Mohammedia", "MA", "", "10 15"),
    ("Textiles de Salé SARL", "003101000000224", "Salé", "MA", "", "11"),
    ("Protec Maroc SARL", "003101000000235", "Tanger", "MA", "", "11 09"),
    ("Didactica Maroc SARL", "003101000000246", "Rabat", "MA", "", "12 02"),
    ("Matériaux du Centre SARL", "003101000000257", "Béni Mellal", "MA", "", "13"),
    ("Agri Intrants Maroc SARL", "003101000000268", "Berkane", "MA", "", "14"),
    ("Comptoir Général d'Approvisionnement SARL", "003101000000279", "Casablanca", "MA", "", "*"),
    ("Maroc Fournitures Générales SA", "003101000000281", "Rabat", "MA", "", "*"),
    ("Sud Négoce SARL", "003101000000292", "Marrakech", "MA", "", "*"),
    ("Oriental Trading SARL", "003101000000303", "Oujda", "MA", "", "*"),
    ("Medequip Handel GmbH", None, "Hamburg", "DE", "HRB 123456", "04 12"),
    ("Ibérica de Suministros SL", None, "Sevilla", "ES", "B-41234567", "07 10 11"),
]

# Subjects -------------------------------------------------------------------------------------------
# (category, title fr, title en, title ar, lots [(fr, en)], spec (fr, en), unit, unit price USD, buyers)


@dataclass(frozen=True)
class Subject:
    category: str
    title: tuple[str, str, str]  # fr, en, ar
    lots: tuple[tuple[str, str], ...]
    spec: tuple[str, str]
    unit: str
    unit_price: int  # USD, for the quantities
    buyers: tuple[str, ...]


SUBJECTS = [
    Subject(
        "04",
        ("Acquisition de lits médicalisés", "Purchase of hospital beds", "اقتناء أسرة طبية"),
        (
            ("Lits médicalisés électriques", "Electric hospital beds"),
            ("Matelas anti-escarres", "Pressure-relief mattresses"),
        ),
        (
            "Trois fonctions électriques, barrières latérales, charge 200 kg",
            "Three electric functions, side rails, 200 kg load",
        ),
        "unité",
        900,
        ("dhsa", "chu", "sante"),
    ),
    Subject(
        "04",
        ("Acquisition d'échographes", "Purchase of ultrasound scanners", "اقتناء أجهزة الفحص بالصدى"),
        (
            ("Échographes polyvalents", "General-purpose ultrasound scanners"),
            ("Échographes portables", "Portable ultrasound scanners"),
        ),
        ("Trois sondes, doppler couleur, écran 21 pouces", "Three probes, colour doppler, 21-inch screen"),
        "unité",
        14000,
        ("dhsa", "chu"),
    ),
    Subject(
        "04",
        ("Fourniture de consommables médicaux", "Supply of medical consumables", "توريد المستهلكات الطبية"),
        (
            ("Seringues et aiguilles", "Syringes and needles"),
            ("Gants d'examen", "Examination gloves"),
            ("Compresses stériles", "Sterile gauze"),
        ),
        ("Usage unique, stérile, conforme ISO 7886", "Single use, sterile, ISO 7886"),
        "carton",
        40,
        ("dhsa", "chu", "sante"),
    ),
    Subject(
        "05",
        ("Fourniture de réactifs de laboratoire", "Supply of laboratory reagents", "توريد كواشف المختبر"),
        (
            ("Réactifs de biochimie", "Biochemistry reagents"),
            ("Réactifs d'hématologie", "Haematology reagents"),
        ),
        (
            "Compatibles avec les automates du laboratoire central",
            "Compatible with the central laboratory analysers",
        ),
        "coffret",
        120,
        ("chu", "onssa", "dhsa"),
    ),
    Subject(
        "05",
        ("Fourniture de médicaments", "Supply of medicines", "توريد الأدوية"),
        (("Antibiotiques", "Antibiotics"), ("Antalgiques", "Painkillers")),
        ("Conditionnement hospitalier, péremption ≥ 24 mois", "Hospital packs, shelf life ≥ 24 months"),
        "boîte",
        6,
        ("sante", "chu"),
    ),
    Subject(
        "02",
        ("Acquisition de matériel informatique", "Purchase of IT equipment", "اقتناء عتاد معلوماتي"),
        (
            ("Ordinateurs de bureau", "Desktop computers"),
            ("Ordinateurs portables", "Laptops"),
            ("Imprimantes réseau", "Network printers"),
        ),
        ("Processeur 4 cœurs, 8 Go de RAM, disque 500 Go", "4-core CPU, 8 GB RAM, 500 GB disk"),
        "unité",
        650,
        ("finances", "interieur", "justice", "men", "aref", "equipement", "casa"),
    ),
    Subject(
        "02",
        ("Acquisition de serveurs", "Purchase of servers", "اقتناء خوادم"),
        (("Serveurs rack", "Rack servers"), ("Baie de stockage", "Storage array")),
        (
            "Deux processeurs, 64 Go de RAM, alimentation redondante",
            "Two CPUs, 64 GB RAM, redundant power supply",
        ),
        "unité",
        7000,
        ("finances", "justice", "onee"),
    ),
    Subject(
        "01",
        ("Fourniture de papier d'impression", "Supply of printing paper", "توريد ورق الطباعة"),
        (("Papier A4 80 g", "A4 paper 80 g"), ("Papier A3 80 g", "A3 paper 80 g")),
        ("Blancheur ≥ 160 CIE, rame de 500 feuilles", "Whiteness ≥ 160 CIE, ream of 500 sheets"),
        "rame",
        4,
        ("finances", "interieur", "justice", "men", "casa", "marrakech"),
    ),
    Subject(
        "01",
        ("Fourniture de fournitures de bureau", "Supply of office supplies", "توريد لوازم المكتب"),
        (
            ("Fournitures de bureau courantes", "Everyday office supplies"),
            ("Cartouches d'encre", "Ink cartridges"),
        ),
        ("Selon le bordereau des prix joint", "As per the attached price schedule"),
        "lot",
        300,
        ("finances", "justice", "aref", "agadir", "oujda", "tanger"),
    ),
    Subject(
        "03",
        ("Acquisition de mobilier de bureau", "Purchase of office furniture", "اقتناء أثاث المكاتب"),
        (("Bureaux et fauteuils", "Desks and chairs"), ("Armoires métalliques", "Metal cabinets")),
        ("Bureau 160 × 80 cm, fauteuil ergonomique réglable", "160 × 80 cm desk, adjustable ergonomic chair"),
        "ensemble",
        450,
        ("finances", "interieur", "justice", "equipement", "tanger"),
    ),
    Subject(
        "03",
        ("Acquisition de tables-bancs scolaires", "Purchase of school desks", "اقتناء طاولات مدرسية"),
        (("Tables-bancs biplaces", "Two-seat desks"), ("Bureaux d'enseignant", "Teacher desks")),
        ("Structure métallique, plateau mélaminé 18 mm", "Metal frame, 18 mm melamine top"),
        "unité",
        70,
        ("men", "aref"),
    ),
    Subject(
        "06",
        ("Fourniture de gasoil", "Supply of diesel fuel", "توريد الغازوال"),
        (("Gasoil 50 ppm", "Diesel 50 ppm"),),
        ("Teneur en soufre ≤ 50 ppm, livraison en citerne", "Sulphur ≤ 50 ppm, tanker delivery"),
        "litre",
        1,
        ("onee", "interieur", "casa", "marrakech", "agadir"),
    ),
    Subject(
        "06",
        ("Fourniture de lubrifiants", "Supply of lubricants", "توريد زيوت التشحيم"),
        (("Huiles moteur", "Engine oils"), ("Graisses industrielles", "Industrial greases")),
        ("Huile 15W40, norme API CI-4", "15W40 oil, API CI-4"),
        "fût",
        250,
        ("onee", "equipement"),
    ),
    Subject(
        "07",
        ("Acquisition de véhicules utilitaires", "Purchase of utility vehicles", "اقتناء سيارات نفعية"),
        (("Fourgonnettes", "Vans"), ("Pick-up double cabine", "Double-cab pick-ups")),
        ("Moteur diesel, 5 places, climatisation", "Diesel engine, 5 seats, air conditioning"),
        "unité",
        18000,
        ("interieur", "agriculture", "onee", "tanger"),
    ),
    Subject(
        "07",
        ("Acquisition d'ambulances", "Purchase of ambulances", "اقتناء سيارات الإسعاف"),
        (("Ambulances de type B", "Type B ambulances"),),
        ("Conforme EN 1789, équipement médical de base", "EN 1789, basic medical equipment"),
        "unité",
        42000,
        ("sante", "interieur", "tanger"),
    ),
    Subject(
        "08",
        ("Fourniture de denrées alimentaires", "Supply of foodstuffs", "توريد المواد الغذائية"),
        (("Farine et semoule", "Flour and semolina"), ("Huile de table et sucre", "Cooking oil and sugar")),
        ("Pour les internats et cantines scolaires", "For boarding schools and school canteens"),
        "quintal",
        45,
        ("aref", "men"),
    ),
    Subject(
        "09",
        ("Fourniture de produits d'entretien", "Supply of cleaning products", "توريد مواد التنظيف"),
        (
            ("Détergents et désinfectants", "Detergents and disinfectants"),
            ("Matériel de nettoyage", "Cleaning equipment"),
        ),
        ("Désinfectant à large spectre, norme EN 14476", "Broad-spectrum disinfectant, EN 14476"),
        "bidon",
        12,
        ("dhsa", "chu", "casa", "justice"),
    ),
    Subject(
        "10",
        (
            "Acquisition de lampadaires LED",
            "Purchase of LED street lights",
            "اقتناء مصابيح الإنارة العمومية LED",
        ),
        (("Luminaires LED 90 W", "LED luminaires 90 W"), ("Mâts d'éclairage", "Lighting poles")),
        ("Flux ≥ 11 000 lm, IP66, durée de vie 100 000 h", "Flux ≥ 11,000 lm, IP66, 100,000 h lifetime"),
        "unité",
        320,
        ("casa", "marrakech", "agadir", "oujda", "tanger"),
    ),
    Subject(
        "10",
        ("Fourniture de câbles électriques", "Supply of power cables", "توريد الكابلات الكهربائية"),
        (("Câbles basse tension", "Low-voltage cables"), ("Câbles moyenne tension", "Medium-voltage cables")),
        ("Âme cuivre, isolation PVC, norme NM 06.3.020", "Copper core, PVC insulation, NM 06.3.020"),
        "mètre",
        6,
        ("onee",),
    ),
    Subject(
        "11",
        ("Fourniture de tenues de travail", "Supply of work clothes", "توريد ملابس العمل"),
        (("Tenues de travail", "Work clothes"), ("Chaussures de sécurité", "Safety shoes")),
        ("Coton-polyester, bandes réfléchissantes", "Cotton-polyester, reflective strips"),
        "unité",
        35,
        ("onee", "casa", "marrakech", "equipement"),
    ),
    Subject(
        "12",
        ("Matériel de laboratoire scolaire", "School laboratory equipment", "عتاد المختبرات المدرسية"),
        (("Matériel de physique-chimie", "Physics and chemistry kits"), ("Microscopes", "Microscopes")),
        ("Conforme aux programmes du secondaire qualifiant", "Matches the upper-secondary curricula"),
        "coffret",
        400,
        ("men", "aref"),
    ),
    Subject(
        "13",
        ("Fourniture de matériaux de construction", "Supply of building materials", "توريد مواد البناء"),
        (("Ciment CPJ 45", "CPJ 45 cement"), ("Acier à béton", "Reinforcing steel")),
        ("Conforme aux normes marocaines en vigueur", "Moroccan standards in force"),
        "tonne",
        110,
        ("equipement", "oujda", "agadir", "tanger"),
    ),
    Subject(
        "14",
        ("Fourniture de semences et d'intrants", "Supply of seeds and inputs", "توريد البذور والمدخلات"),
        (("Semences de blé certifiées", "Certified wheat seed"), ("Engrais de fond", "Base fertiliser")),
        ("Semences certifiées R1, taux de germination ≥ 85 %", "Certified R1 seed, germination ≥ 85%"),
        "quintal",
        60,
        ("agriculture", "onssa"),
    ),
    Subject(
        "15",
        ("Acquisition d'équipements réseau", "Purchase of network equipment", "اقتناء معدات الشبكات"),
        (
            ("Commutateurs et routeurs", "Switches and routers"),
            ("Points d'accès sans fil", "Wireless access points"),
        ),
        ("Commutateurs 48 ports gigabit, administrables", "48-port managed gigabit switches"),
        "unité",
        1200,
        ("finances", "justice", "interieur", "casa"),
    ),
]

WHEELCHAIRS = Subject(
    "04",
    ("Acquisition de fauteuils roulants", "Purchase of wheelchairs", "اقتناء كراسي متحركة"),
    (("Fauteuils roulants manuels et électriques", "Manual and electric wheelchairs"),),
    (
        "Châssis acier chromé, assise 45 cm, charge maximale 120 kg",
        "Chromed steel frame, 45 cm seat, 120 kg maximum load",
    ),
    "unité",
    480,
    ("dhsa",),
)
RECORD_SUBJECT = SUBJECTS[7]  # printing paper, for the Ministry of Finance

MONTH_WEIGHTS = [5, 6, 7, 7, 8, 8, 6, 6, 9, 10, 10, 11]
NOTICES = 93
UNSUCCESSFUL = {"too_few_applicants": 5, "no_bids": 4}
FAILED_FIRST = 3  # awards that passed to the second-ranked bidder


# The plan ---------------------------------------------------------------------------------------------


@dataclass
class LotPlan:
    number: int
    title: tuple[str, str]
    spec: tuple[str, str]
    unit: str
    unit_price: int
    opens_at: datetime
    outcome: str = "awarded"  # awarded | too_few_applicants | no_bids
    estimate_usd: int = 0  # cents
    awarded_usd: int | None = None
    estimate: int = 0  # cents of the notice's currency
    awarded: int | None = None
    applicants: list[str] = field(default_factory=list)  # company names
    bidders: list[str] = field(default_factory=list)  # admitted; in final-ranking order, silent ones last
    silent: int = 0  # admitted bidders who never bid
    failed_first: bool = False
    paths: list[list[int]] = field(default_factory=list)  # each bidding bidder's prices, in cents

    @property
    def quantity(self) -> int:
        return max(1, round(self.estimate_usd / 100 / self.unit_price))

    @property
    def awardee(self) -> str | None:
        if self.outcome != "awarded":
            return None
        return self.bidders[1 if self.failed_first else 0]


@dataclass
class NoticePlan:
    reference: str
    buyer: str
    subject: Subject
    region: str
    currency: str
    published_at: datetime
    deadline: datetime
    lots: list[LotPlan]
    international: bool = False
    rate: Decimal | None = None  # value of 1 MAD in USD, for dirham notices
    erratum_at: datetime | None = None  # a substantive erratum published then (red flag SEEI-E1)

    @property
    def exchange_rates(self) -> dict:
        if self.currency == "MAD":
            return {"USD": str(self.rate)}
        # Dollar notices record the dirham rate too, so the statistics can also be read in MAD.
        return {"MAD": str((1 / self.rate).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))}

    @property
    def month(self) -> int:
        return self.lots[0].opens_at.month


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def in_dirhams(usd_cents: int, rate: Decimal) -> int:
    """The dirham amount (in cents) that gives exactly ``usd_cents`` once converted and rounded."""
    guess = _round_half_up(Decimal(usd_cents) / rate)
    for candidate in sorted(range(guess - 20, guess + 21), key=lambda c: abs(c - guess)):
        if _round_half_up(candidate * rate) == usd_cents:
            return candidate
    raise ValueError(f"no dirham amount converts to {usd_cents} cents at {rate}")


def _working_day(rng: random.Random, month: int) -> date:
    while True:
        day = date(YEAR, month, rng.randint(4, 26))
        if day.weekday() < 5:
            return day


def _spread(rng: random.Random, weights: list[float], total: int, whole: int = 1) -> list[int]:
    """Integers proportional to ``weights``, multiples of ``whole`` but for the largest, summing to ``total``."""
    scale = total / sum(weights)
    values = [int(weight * scale) // whole * whole for weight in weights]
    largest = max(range(len(values)), key=values.__getitem__)
    values[largest] += total - sum(values)
    return values


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _pool(category: str) -> list[str]:
    return [name for name, *_rest, codes in COMPANIES if category in codes.split() or codes == "*"]


def _company_choice(rng: random.Random, category: str, lot: LotPlan, admitted: int, applicants: int) -> None:
    pool = _pool(category)
    applicants = min(applicants, len(pool))
    lot.applicants = rng.sample(pool, applicants)
    lot.bidders = lot.applicants[:admitted]


def _steps(rng: random.Random, start: int, final: int) -> list[int]:
    """A bidder's successive prices from ``start`` down to ``final``, each step within the decrements."""
    min_step = math.ceil(start * MIN_DECREMENT_PERCENT / 100)
    max_step = math.floor(start * MAX_DECREMENT_PERCENT / 100)
    drop = start - final
    if drop < min_step:
        raise ValueError("a price must go down by at least the minimum decrement")
    fewest, most = math.ceil(drop / max_step), drop // min_step
    count = min(most, max(fewest, rng.randint(1, 4)))
    base, extra = divmod(drop, count)
    prices, price = [], start
    for index in range(count):
        price -= base + (1 if index < extra else 0)
        prices.append(price)
    return prices


def _bid_paths(rng: random.Random, lot: LotPlan) -> None:
    """Each bidder's prices: the awardee ends at the awarded amount, the ranking as planned."""
    start, awarded = lot.estimate, lot.awarded
    highest = start - math.ceil(start * MIN_DECREMENT_PERCENT / 100)
    bidding = len(lot.bidders) - lot.silent
    finals = []
    if lot.failed_first:
        finals.append(awarded - max(1, _round_half_up(Decimal(awarded) * Decimal(rng.uniform(0.004, 0.02)))))
    finals.append(awarded)
    while len(finals) < bidding:
        candidate = awarded + _round_half_up(Decimal(awarded) * Decimal(rng.uniform(0.003, 0.1)))
        if candidate > highest:
            candidate = rng.randint(awarded + 1, highest)
        if candidate not in finals:
            finals.append(candidate)
    finals.sort()
    lot.paths = [_steps(rng, start, final) for final in finals]


def plan() -> list[NoticePlan]:
    """The 93 notices of 2016, drawn from a fixed seed and corrected onto the published totals."""
    rng = random.Random(SEED)
    months = rng.choices(range(1, 13), weights=MONTH_WEIGHTS, k=NOTICES - 2)
    notices: list[NoticePlan] = []

    def notice(subject, buyer, month, lots_count, currency, reference=None):
        day = _working_day(rng, month)
        opens = datetime(YEAR, month, day.day, 10, 0, tzinfo=TIMEZONE)
        deadline = opens - timedelta(days=rng.randint(3, 8), hours=-6)
        published = deadline - timedelta(days=rng.randint(12, 21), hours=rng.randint(0, 5))
        code = BUYERS[buyer][5]
        international = currency == "USD" and rng.random() < 0.5
        prefix = "AOI" if international else "AO"
        reference = reference or f"{prefix}-{code}-{YEAR}-{len(notices) + 1:03d}"
        lots = []
        for number in range(1, lots_count + 1):
            title = subject.lots[(number - 1) % len(subject.lots)]
            lots.append(
                LotPlan(
                    number=number,
                    title=title,
                    spec=subject.spec,
                    unit=subject.unit,
                    unit_price=subject.unit_price,
                    opens_at=opens + timedelta(hours=number - 1),
                )
            )
        region = "INT" if international and rng.random() < 0.3 else BUYERS[buyer][4]
        rate = Decimal(MAD_TO_USD[month])
        item = NoticePlan(
            reference, buyer, subject, region, currency, published, deadline, lots, international, rate
        )
        notices.append(item)
        return item

    wheelchairs = notice(WHEELCHAIRS, "dhsa", 6, 1, "USD", WHEELCHAIRS_REFERENCE)
    record = notice(RECORD_SUBJECT, "finances", 3, 1, "MAD", RECORD_REFERENCE)
    for month in months:
        subject = rng.choice(SUBJECTS)
        lots = rng.choices([1, 2, 3], weights=[80, 12, 4])[0]
        lots = min(lots, max(1, len(subject.lots)))
        notice(subject, rng.choice(subject.buyers), month, lots, rng.choices(["MAD", "USD"], [62, 38])[0])

    fixed = {id(wheelchairs.lots[0]): _WHEELCHAIRS, id(record.lots[0]): _RECORD}
    others = [lot for item in notices for lot in item.lots if id(lot) not in fixed]
    outcomes = rng.sample(others, sum(UNSUCCESSFUL.values()))
    for index, lot in enumerate(outcomes):
        lot.outcome = "too_few_applicants" if index < UNSUCCESSFUL["too_few_applicants"] else "no_bids"
    awarded = [lot for lot in others if lot.outcome == "awarded"]
    unsuccessful = [lot for lot in others if lot.outcome != "awarded"]

    # Estimates of the awarded lots, then their savings, both landing on the published sums.
    for lot, (estimate, price) in ((wheelchairs.lots[0], _WHEELCHAIRS), (record.lots[0], _RECORD)):
        lot.estimate_usd, lot.awarded_usd = estimate, price
    fixed_estimates = _WHEELCHAIRS[0] + _RECORD[0]
    fixed_savings = sum(estimate - price for estimate, price in (_WHEELCHAIRS, _RECORD))
    estimates = _spread(
        rng,
        [_log_uniform(rng, 6000, 110000) for _ in awarded],
        _AWARDED + _SAVING - fixed_estimates,
        whole=100,
    )
    shares = [rng.uniform(0.38, 0.52) if rng.random() < 0.05 else rng.uniform(0.06, 0.32) for _ in awarded]
    savings = _spread(rng, [e * s for e, s in zip(estimates, shares, strict=True)], _SAVING - fixed_savings)
    for lot, estimate, saving in zip(awarded, estimates, savings, strict=True):
        lot.estimate_usd, lot.awarded_usd = estimate, estimate - saving
        share = saving / estimate
        # The record stays the record, and every lot keeps room for a minimum decrement.
        assert 0.02 < share < 0.58, f"saving share {share:.4f} out of range: change the seed"
    for lot, estimate in zip(
        unsuccessful,
        _spread(
            rng, [_log_uniform(rng, 15000, 80000) for _ in unsuccessful], _UNSUCCESSFUL_ESTIMATE, whole=100
        ),
        strict=True,
    ):
        lot.estimate_usd = estimate

    # Amounts in the notice's currency.
    for item in notices:
        for lot in item.lots:
            if item.currency == "USD":
                lot.estimate, lot.awarded = lot.estimate_usd, lot.awarded_usd
            else:
                lot.estimate = in_dirhams(lot.estimate_usd, item.rate)
                lot.awarded = None if lot.awarded_usd is None else in_dirhams(lot.awarded_usd, item.rate)

    # Applicants, admitted bidders, the awards that passed to the second, and the prices.
    failing = set(map(id, rng.sample(awarded, FAILED_FIRST)))
    for item in notices:
        for lot in item.lots:
            category = item.subject.category
            if lot.outcome == "too_few_applicants":
                _company_choice(rng, category, lot, 0, rng.randint(0, 2))
                continue
            if lot.outcome == "no_bids":
                _company_choice(rng, category, lot, 2, rng.randint(3, 4))
                lot.silent = 2
                continue
            admitted = rng.choices([2, 3, 4, 5, 6], weights=[15, 30, 30, 15, 10])[0]
            lot.failed_first = id(lot) in failing
            admitted = max(admitted, 3) if lot.failed_first else admitted
            _company_choice(rng, category, lot, admitted, max(3, admitted + rng.choice([0, 0, 1, 1, 2, 3])))
            can_be_silent = len(lot.bidders) - (3 if lot.failed_first else 2)
            lot.silent = 1 if can_be_silent > 0 and rng.random() < 0.15 else 0
            _bid_paths(rng, lot)
    _red_flags(notices, failing)
    return notices


# A few procedures trip each integrity red flag (seei.redflags), on purpose; the rest stay clean.
# Drawn from a seed of their own after the plan, so that every other lot keeps its draw.
RED_FLAGS_SEED = SEED + 12
RED_FLAGS_EACH = 3
REPEAT_WINNER = ("finances", "Comptoir Général d'Approvisionnement SARL", 4)  # buyer, company, wins


def _red_flags(notices: list[NoticePlan], failing: set[int]) -> None:
    rng = random.Random(RED_FLAGS_SEED)
    fixed = {WHEELCHAIRS_REFERENCE, RECORD_REFERENCE}
    plain = [item for item in notices if item.reference not in fixed]
    short, amended = rng.sample(plain, RED_FLAGS_EACH), rng.sample(plain, 2 * RED_FLAGS_EACH)
    for item in short:  # R003: the legal minimum of 10 days, barely
        item.published_at = item.deadline - timedelta(days=10, hours=4)
    for item in [each for each in amended if each not in short][:RED_FLAGS_EACH]:
        # SEEI-E1: two days before the deadline, a substantive erratum moves it by nine days.
        item.published_at = min(item.published_at, item.deadline - timedelta(days=21))
        item.erratum_at = item.deadline - timedelta(days=11)
    lots = [
        lot
        for item in plain
        for lot in item.lots
        if lot.outcome == "awarded" and id(lot) not in failing and not lot.silent
    ]
    crowded = [lot for lot in lots if len(lot.bidders) >= 3]
    identical = rng.sample(crowded, RED_FLAGS_EACH)
    band = rng.sample([lot for lot in crowded if lot not in identical], RED_FLAGS_EACH)
    single = rng.sample([lot for lot in lots if lot not in identical + band], RED_FLAGS_EACH)
    for lot in single:  # R018: the others admitted stay silent
        lot.silent, lot.paths = len(lot.bidders) - 1, lot.paths[:1]
    start = {id(lot): lot.estimate for lot in lots}
    for lot in identical:  # R028: the last two end on the same price
        lot.paths[-1] = _steps(rng, start[id(lot)], lot.paths[-2][-1])
    for lot in band:  # R024: every price within 1 % of the best
        finals = set()
        while len(finals) < len(lot.paths) - 1:
            spread = Decimal(rng.uniform(0.001, 0.009))
            finals.add(lot.awarded + _round_half_up(Decimal(lot.awarded) * spread))
        lot.paths[1:] = [_steps(rng, start[id(lot)], final) for final in sorted(finals)]
    buyer, company, wins = REPEAT_WINNER  # SEEI-W1: one company wins this buyer's lots again and again
    theirs = [lot for item in plain if item.buyer == buyer for lot in item.lots if lot in lots]
    for lot in sorted(theirs, key=lambda each: each.opens_at)[:wins]:
        if company in lot.applicants:
            index = lot.applicants.index(company)
            lot.applicants[0], lot.applicants[index] = lot.applicants[index], lot.applicants[0]
        else:
            lot.applicants[0] = company
        lot.bidders = lot.applicants[: len(lot.bidders)]


# Running the auction rules on a planned lot -----------------------------------------------------------


def bid_events(params: rules.LotParams, paths: dict[str, list[Decimal]], seed: int):
    """Interleave the bidders' prices in time and fold them through the rules.

    Returns (the accepted bids, the state after them). A bid the rules refuse because it equals
    the current best waits for another bidder's next bid; any other refusal is a bug of the plan.
    """
    rng = random.Random(seed)
    queues = {bidder: list(prices) for bidder, prices in paths.items()}
    order = []
    while any(queues.values()):
        bidder = rng.choice([name for name, prices in queues.items() if prices])
        order.append((bidder, queues[bidder].pop(0)))
    spacing = min(timedelta(seconds=90), (DURATION - timedelta(minutes=3)) / max(1, len(order)))
    state, accepted, index = rules.State.initial(params), [], 0
    while index < len(order):
        bidder, amount = order[index]
        at = params.opens_at + timedelta(minutes=1) + spacing * index
        result = rules.apply_bid(params, state, bidder, amount, at)
        if not result.ok and result.code == rules.Reason.EQUAL_TO_BEST:
            later = next((i for i in range(index + 1, len(order)) if order[i][0] != bidder), None)
            if later is not None:
                order.insert(index, order.pop(later))
                continue
        if not result.ok:
            raise RuntimeError(f"the rules refused a planned bid ({result.code}, {result.detail})")
        state = result.state
        accepted.append(result.bid)
        index += 1
    return accepted, state


# Writing it -------------------------------------------------------------------------------------------


def _cents(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _organisations() -> dict:
    from seei.accounts.models import Organisation

    buyers = {}
    for key, (name, buyer_type, parent, city, _region, _code) in BUYERS.items():
        buyers[key] = Organisation.objects.get_or_create(
            name=name,
            kind=Organisation.Kind.BUYER,
            defaults={"buyer_type": buyer_type, "parent": buyers.get(parent), "city": city},
        )[0]
    companies = {}
    for name, ice, city, country, registration, _codes in COMPANIES:
        company = Organisation.objects.filter(name=name, kind=Organisation.Kind.COMPANY).first()
        if company is None:
            company = Organisation.objects.create(
                name=name,
                kind=Organisation.Kind.COMPANY,
                ice=ice,
                rc=f"RC-{city[:4].upper()}-{(ice or registration)[-5:]}",
                city=city,
                country=country,
                national_registration=registration,
            )
        companies[name] = company
    return {"buyers": buyers, "companies": companies}


def _archivist():
    """The account the imported applications are recorded as submitted by (it cannot log in)."""
    from seei.accounts.models import User

    user = User.objects.filter(email="archives@seei.example").first()
    if user is None:
        user = User.objects.create_user(
            "archives@seei.example", None, first_name="Archives", last_name=str(YEAR), is_active=False
        )
    return user


def _write_notice(item: NoticePlan, orgs: dict, archivist, categories: dict, regions: dict):
    from seei.applications.models import Application
    from seei.tenders import search
    from seei.tenders.models import Item, Lot, Tender

    buyer = orgs["buyers"][item.buyer]
    title_fr, title_en, title_ar = item.subject.title
    tender = Tender.objects.create(
        buyer=buyer,
        reference=item.reference,
        original_language="fr",
        title=make("fr", fr=title_fr, en=title_en, ar=title_ar),
        object=make(
            "fr",
            fr=f"{title_fr} pour le compte de : {buyer.name}",
            en=f"{title_en} for: {buyer.name}",
        ),
        category=categories[item.subject.category],
        region=regions[item.region],
        delivery_place=buyer.city or "Rabat",
        delivery_terms=make("fr", fr="Livraison sous 60 jours", en="Delivery within 60 days"),
        currency=item.currency,
        international=item.international,
        exchange_rates=item.exchange_rates,
        application_deadline=item.deadline,
        status=Tender.Status.PUBLISHED,
        published_at=item.published_at,
    )
    lots = {}
    for plan_lot in item.lots:
        lot = Lot.objects.create(
            tender=tender,
            number=plan_lot.number,
            title=make("fr", fr=plan_lot.title[0], en=plan_lot.title[1]),
            estimated_amount=_cents(plan_lot.estimate),
            status=Lot.Status.AWARDED if plan_lot.outcome == "awarded" else Lot.Status.UNSUCCESSFUL,
            starting_price=_cents(plan_lot.estimate),
            min_decrement_kind=Lot.DecrementKind.PERCENT,
            min_decrement=MIN_DECREMENT_PERCENT,
            max_decrement_kind=Lot.DecrementKind.PERCENT,
            max_decrement=MAX_DECREMENT_PERCENT,
            decrement_base=Lot.DecrementBase.OWN,
            opens_at=plan_lot.opens_at,
            duration_minutes=int(DURATION.total_seconds() // 60),
            extension_window_seconds=180,
            extension_seconds=180,
            visibility=Lot.Visibility.BEST,
            refuse_equal_best=True,
            min_bid_interval_seconds=5,
        )
        Item.objects.create(
            lot=lot,
            position=1,
            designation=make("fr", fr=plan_lot.title[0], en=plan_lot.title[1]),
            specification=make("fr", fr=plan_lot.spec[0], en=plan_lot.spec[1]),
            quantity=Decimal(plan_lot.quantity),
            unit=plan_lot.unit,
        )
        lots[plan_lot.number] = lot
    # One application per company, naming the lots it applied to.
    applied: dict[str, list] = {}
    for plan_lot in item.lots:
        for name in plan_lot.applicants:
            applied.setdefault(name, []).append(lots[plan_lot.number])
    for name, company_lots in applied.items():
        submitted = item.deadline - timedelta(days=1, hours=len(name) % 7)
        application = Application.objects.create(
            tender=tender,
            company=orgs["companies"][name],
            declaration=True,
            submitted_by=archivist,
            submitted_at=submitted,
            updated_at=submitted,
        )
        application.lots.set(company_lots)
    _write_examination(tender, item, lots, archivist)
    for plan_lot in item.lots:
        if plan_lot.bidders:
            _write_auction(lots[plan_lot.number], plan_lot, orgs)
    search.reindex(tender)
    return tender


EXCLUSION_REASON = "Dossier technique non conforme au cahier des charges."


def _write_examination(tender, item: NoticePlan, lots: dict, archivist) -> None:
    """The commission's session the day after the deadline: every applicant to a lot with enough
    applications admitted to its room or excluded; and the notice's erratum, if it had one."""
    from seei.applications.models import MIN_APPLICATIONS, Application, Decision, Examination
    from seei.tenders.models import Erratum

    decided = item.deadline + timedelta(days=1)
    Examination.objects.create(
        tender=tender,
        opened_at=item.deadline + timedelta(hours=1),
        opened_by=archivist,
        closed_at=decided,
        closed_by=archivist,
    )
    applications = {
        each.company.name: each
        for each in Application.objects.filter(tender=tender).select_related("company")
    }
    Decision.objects.bulk_create(
        Decision(
            application=applications[name],
            lot=lots[plan_lot.number],
            outcome=Decision.Outcome.ADMITTED if name in plan_lot.bidders else Decision.Outcome.EXCLUDED,
            reason="" if name in plan_lot.bidders else EXCLUSION_REASON,
            decided_by=archivist,
            decided_at=decided,
        )
        for plan_lot in item.lots
        if len(plan_lot.applicants) >= MIN_APPLICATIONS
        for name in plan_lot.applicants
    )
    if item.erratum_at is not None:
        before = item.erratum_at + timedelta(days=2)
        Erratum.objects.create(
            tender=tender,
            number=1,
            reason="Modification des spécifications techniques du lot 1.",
            substantive=True,
            changes=[
                {"field": "documents.added", "before": "", "after": "Spécifications techniques, version 2"},
                {
                    "field": "application_deadline",
                    "before": before.isoformat(),
                    "after": item.deadline.isoformat(),
                },
            ],
            deadline_before=before,
            deadline_after=item.deadline,
            published_at=item.erratum_at,
        )
        tender.version = 2
        tender.save(update_fields=["version"])


def _write_auction(lot, plan_lot: LotPlan, orgs: dict) -> None:
    """The room, its ledger (genesis, bids, close) signed like a live one, and the award."""
    from seei.auctions import services as auctions
    from seei.auctions.models import Bidder, LedgerEntry, Room

    companies = [orgs["companies"][name] for name in plan_lot.bidders]
    room = auctions.create_room(lot, companies, lot.opens_at - timedelta(days=2))
    pseudonyms = dict(Bidder.objects.filter(room=room).values_list("company__name", "pseudonym"))
    params = rules.LotParams.from_dict(room.params)
    paths = {
        pseudonyms[name]: [_cents(price) for price in path]
        for name, path in zip(plan_lot.bidders, plan_lot.paths, strict=False)
    }
    bids, state = bid_events(params, paths, seed=lot.tender_id * 100 + lot.number)
    head = LedgerEntry.objects.get(room=room, seq=0).as_entry()
    entries = []
    for bid in bids:
        head = ledger.Chain.bid(head, bid)
        entries.append(head)
    closed_at = state.closes_at
    head = ledger.Chain.close(head, state, closed_at)
    entries.append(head)
    state = rules.close(params, state, closed_at)
    LedgerEntry.objects.bulk_create(auctions.signed_entry(room, entry) for entry in entries)
    Room.objects.filter(pk=room.pk).update(
        status=Room.Status.CLOSED,
        state=state.to_dict(),
        seq=head["seq"],
        last_hash=head["hash"],
        closes_at=closed_at,
        opened_at=params.opens_at,
        closed_at=closed_at,
        updated_at=closed_at,
    )
    if plan_lot.outcome == "awarded":
        _write_award(lot, plan_lot, state, closed_at, orgs)


def _write_award(lot, plan_lot: LotPlan, state: rules.State, closed_at: datetime, orgs: dict) -> None:
    """The final award, after the commission's check of the documents (and a failed first rank)."""
    from seei.auctions.models import Bidder
    from seei.awards.models import Award, AwardStep

    ranking = state.ranking()
    bidders = {
        bidder.pseudonym: bidder for bidder in Bidder.objects.filter(room__lot=lot).select_related("company")
    }
    award = Award.objects.create(
        lot=lot,
        status=Award.Status.FINAL,
        currency=lot.tender.currency,
        created_at=closed_at,
    )
    requested = closed_at
    steps = ranking[:2] if plan_lot.failed_first else ranking[:1]
    for rank, bid in enumerate(steps, start=1):
        failed = plan_lot.failed_first and rank == 1
        bidder = bidders[bid.bidder]
        deadline = requested + timedelta(days=5)
        decided = deadline + timedelta(hours=2) if failed else requested + timedelta(days=4)
        AwardStep.objects.create(
            award=award,
            rank=rank,
            bidder=bidder,
            company=bidder.company,
            amount=bid.amount,
            status=AwardStep.Status.FAILED if failed else AwardStep.Status.CONFIRMED,
            requested_at=requested,
            documents_deadline=deadline,
            submitted_at=None if failed else requested + timedelta(days=2),
            decided_at=decided,
            reason="Pièces non produites dans le délai imparti." if failed else "",
        )
        requested = decided
    winner = bidders[steps[-1].bidder]
    assert winner.company.name == plan_lot.awardee and steps[-1].amount == _cents(plan_lot.awarded)
    Award.objects.filter(pk=award.pk).update(
        company=winner.company, amount=steps[-1].amount, final_at=requested
    )


@transaction.atomic
def load() -> dict:
    """Create the year 2016 (whatever of it is missing). Returns how many notices were created."""
    from seei.tenders.models import Category, Region, Tender

    notices = plan()
    existing = set(
        Tender.objects.filter(reference__in=[item.reference for item in notices]).values_list(
            "reference", flat=True
        )
    )
    missing = [item for item in notices if item.reference not in existing]
    if not missing:
        return {"created": 0, "notices": len(notices)}
    orgs = _organisations()
    archivist = _archivist()
    categories = {category.code: category for category in Category.objects.all()}
    regions = {region.code: region for region in Region.objects.all()}
    for item in missing:
        _write_notice(item, orgs, archivist, categories, regions)
    return {"created": len(missing), "notices": len(notices)}
