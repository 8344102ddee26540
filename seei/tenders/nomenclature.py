"""The supply nomenclature and the regions, seeded by a migration (codes are stable)."""

CATEGORIES = [
    # code, French, Arabic, English
    ("01", "Fournitures de bureau et papeterie", "لوازم المكتب والقرطاسية", "Office supplies and stationery"),
    ("02", "Matériel informatique et logiciels", "العتاد المعلوماتي والبرمجيات", "IT equipment and software"),
    ("03", "Mobilier", "الأثاث", "Furniture"),
    (
        "04",
        "Matériel médical et fournitures hospitalières",
        "العتاد الطبي واللوازم الاستشفائية",
        "Medical equipment and hospital supplies",
    ),
    (
        "05",
        "Médicaments et produits pharmaceutiques",
        "الأدوية والمنتجات الصيدلية",
        "Medicines and pharmaceutical products",
    ),
    ("06", "Combustibles, carburants et lubrifiants", "المحروقات والوقود والزيوت", "Fuels and lubricants"),
    ("07", "Véhicules et engins", "العربات والآليات", "Vehicles and machinery"),
    ("08", "Denrées alimentaires", "المواد الغذائية", "Foodstuffs"),
    ("09", "Produits d'entretien et d'hygiène", "مواد التنظيف والنظافة", "Cleaning and hygiene products"),
    (
        "10",
        "Matériel électrique et éclairage",
        "العتاد الكهربائي والإنارة",
        "Electrical equipment and lighting",
    ),
    (
        "11",
        "Habillement et équipements de protection",
        "الألبسة ومعدات الوقاية",
        "Clothing and protective equipment",
    ),
    (
        "12",
        "Matériel pédagogique et scientifique",
        "العتاد التربوي والعلمي",
        "Teaching and scientific equipment",
    ),
    ("13", "Matériaux de construction", "مواد البناء", "Building materials"),
    ("14", "Matériel agricole et intrants", "العتاد الفلاحي والمدخلات", "Agricultural equipment and inputs"),
    ("15", "Télécommunications et réseaux", "الاتصالات والشبكات", "Telecommunications and networks"),
]

REGIONS = [
    ("MA-01", "Tanger-Tétouan-Al Hoceïma", "طنجة تطوان الحسيمة", "Tangier-Tetouan-Al Hoceima"),
    ("MA-02", "L'Oriental", "الشرق", "Oriental"),
    ("MA-03", "Fès-Meknès", "فاس مكناس", "Fez-Meknes"),
    ("MA-04", "Rabat-Salé-Kénitra", "الرباط سلا القنيطرة", "Rabat-Sale-Kenitra"),
    ("MA-05", "Béni Mellal-Khénifra", "بني ملال خنيفرة", "Beni Mellal-Khenifra"),
    ("MA-06", "Casablanca-Settat", "الدار البيضاء سطات", "Casablanca-Settat"),
    ("MA-07", "Marrakech-Safi", "مراكش آسفي", "Marrakesh-Safi"),
    ("MA-08", "Drâa-Tafilalet", "درعة تافيلالت", "Draa-Tafilalet"),
    ("MA-09", "Souss-Massa", "سوس ماسة", "Souss-Massa"),
    ("MA-10", "Guelmim-Oued Noun", "كلميم واد نون", "Guelmim-Oued Noun"),
    ("MA-11", "Laâyoune-Sakia El Hamra", "العيون الساقية الحمراء", "Laayoune-Sakia El Hamra"),
    ("MA-12", "Dakhla-Oued Ed-Dahab", "الداخلة وادي الذهب", "Dakhla-Oued Ed-Dahab"),
    ("INT", "International", "دولي", "International"),
]


def seed(apps, schema_editor=None):
    Category = apps.get_model("tenders", "Category")
    Region = apps.get_model("tenders", "Region")
    for model, rows in ((Category, CATEGORIES), (Region, REGIONS)):
        for code, fr, ar, en in rows:
            model.objects.update_or_create(
                code=code, defaults={"name": {"orig": "fr", "fr": fr, "ar": ar, "en": en}}
            )
