"""No sentence of the interface left in English (or in French, Django's fallback) on the pages in Arabic.

The whole procedure is built through the services (a notice under examination, an auction whose
award is final and paid, another whose award waits for the commission, open notices in Arabic and
in English, a draft), then a real Chromium walks, under /ar/, the public pages and those of a
company, a buyer agent, the commission and the accountant, and collects every text and user-facing
attribute left untranslated (see english.py). Notices keep their original language when they have
no Arabic text: the page must say so with a lang attribute, which also exempts them here.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from tests.conftest import item_values, lot_values, make_company, make_member
from tests.i18n.catalogues import LOCALE_DIR, catalogue_path, code_messages, messages, read
from tests.i18n.english import COLLECT_TEXTS, Detector, normal


def test_the_detector_tells_the_untranslated_interface_from_arabic_and_from_data():
    detector = Detector(set(messages(read(catalogue_path("ar")))) | {(None, "Practice")})
    untranslated = [
        "All the notices closing soon",  # a msgid, however short
        "Tous les avis qui se clôturent bientôt",  # its French translation, Django's fallback
        "Notices",
        "Email:",
        "Practice",  # a message of the code that no catalogue has yet
        "Closing within 3 days",  # a msgid with its placeholder filled in
        "Only a company can ask for a clarification of its own.",  # a sentence never marked
        "الحصة 1 — Upload the documents by Monday",  # English words amid Arabic
    ]
    data = [
        "الإعلانات",
        "Atlas Médical SARL",
        "Karim President · Direction des Hôpitaux",
        "no-reply@the-ministry.gov.ma",
        "AO-I18N-A",
        "SHA-256: e34ee43f9d3f2b6ae43a3ff7eaaacdf80631341daf86c60ad80762fab616be06",
        "600 000,00 MAD",
        "Fourniture de fauteuils roulants pour les hôpitaux régionaux de la santé",
        "Lot 1 : fauteuils roulants",
        "SEEI",
    ]
    assert [text for text in untranslated if not detector.untranslated(text)] == []
    assert [text for text in data if detector.untranslated(text)] == []


@pytest.fixture
def people_read_arabic():
    """Notifications are written in each person's language when they are sent: everyone of this walk
    chose Arabic (the shared helpers create people reading English)."""
    from seei.accounts.models import User

    def arabic(sender, instance, **kwargs):
        instance.language = "ar"

    pre_save.connect(arabic, sender=User)
    yield
    pre_save.disconnect(arabic, sender=User)


def notice(buyer, category, region, clock, reference, language, texts, *, document=False):
    """A published notice with one lot of one item; ``texts`` are its Translated texts."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from seei.tenders import services
    from tests.e2e.conftest import pdf_bytes

    now = clock.now()
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": language,
            "title": texts["title"],
            "object": texts["object"],
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    lot = lot_values(now, title=texts["lot"])
    services.save_lot(
        buyer, tender, lot, [item_values(designation=texts["item"], specification=texts["spec"])]
    )
    if document:
        upload = SimpleUploadedFile("cps.pdf", pdf_bytes(), content_type="application/pdf")
        services.add_document(buyer, tender, upload, "Cahier des prescriptions spéciales")
    return tender


def the_procedure(buyer, company, other_company, category, region, clock):
    """Every state the walk needs, built as the services build it."""
    from seei.applications import services as applications
    from seei.applications.models import Application
    from seei.awards import services as awards
    from seei.core.translated import make
    from seei.tenders import services as tenders
    from tests.applications.conftest import apply
    from tests.awards.conftest import close_auction, finalise, grant_visa, ministry_accountant, submit

    french = {
        "title": make("fr", fr="Acquisition de tensiomètres", en="Purchase of blood pressure monitors"),
        "object": make("fr", fr="Fourniture de tensiomètres pour les centres de santé"),
        "lot": make("fr", fr="Tensiomètres électroniques"),
        "item": make("fr", fr="Tensiomètre électronique de bras"),
        "spec": make("fr", fr="Brassard adulte, mémoire de 60 mesures"),
    }
    arabic = {
        "title": make("ar", ar="اقتناء أسرّة طبية", fr="Acquisition de lits médicalisés"),
        "object": make("ar", ar="توريد أسرّة طبية للمستشفيات الجهوية"),
        "lot": make("ar", ar="أسرّة طبية كهربائية"),
        "item": make("ar", ar="سرير طبي كهربائي"),
        "spec": make("ar", ar="ثلاث وظائف كهربائية، حمولة 200 كلغ"),
    }
    english = {  # shown as it is to Arabic readers: the test requires it marked lang="en"
        "title": make("en", en="Laptops for the schools of the region"),
        "object": make("en", en="Supply of laptops to the schools, with their warranty"),
        "lot": make("en", en="Laptops with their chargers"),
        "item": make("en", en="Laptop for the teachers"),
        "spec": make("en", en="At least 16 GB of memory and a disk of 512 GB"),
    }
    s = SimpleNamespace()
    s.accountant = ministry_accountant(buyer.organisation)
    s.president = make_member("commission@i18n.gov.ma", buyer.organisation, "commission_member")

    # A notice whose deadline passes during the first auction: the commission opens the three
    # applications (fewer would make it unsuccessful) and admits one.
    s.examined = tenders.publish(buyer, notice(buyer, category, region, clock, "AO-I18N-EXAM", "fr", french))
    applications.name_commission(buyer, s.examined, [s.president], s.president)
    s.receipt = apply(company, s.examined)
    apply(other_company, s.examined)
    apply(make_company("Maghreb Santé SARL", "003456789000034", "contact@maghreb-sante.ma"), s.examined)
    s.final = close_auction(buyer, category, region, clock, reference="AO-I18N-FINAL")
    from seei.applications import session

    session.declare_interests(s.president, s.examined, conflict=False)
    applications.open_examination(s.president, s.examined)
    admitted = Application.objects.get(tender=s.examined, company=company.organisation)
    applications.decide(s.president, admitted, [(s.examined.lots.get(), "admitted", "")])
    finalise(s.final)
    grant_visa(s.final, s.accountant)
    awards.record_payment(s.accountant, s.final.award, clock.today(), "100000", "OP-2026-0001")

    # An award whose candidate is asked for its documents, on a notice written in Arabic.
    s.pending = close_auction(buyer, category, region, clock, reference="AO-I18N-PENDING", language="ar")
    s.submit_pending = lambda: submit(s.pending)

    # Open notices, in Arabic (with a document, an answered question, an erratum, an application),
    # in English only, and a draft.
    s.open = tenders.publish(
        buyer, notice(buyer, category, region, clock, "AO-I18N-OPEN", "ar", arabic, document=True)
    )
    question = tenders.ask_clarification(company, s.open, "Quel est le délai de garantie exigé ?")
    tenders.answer_clarification(buyer, question, "Deux ans pièces et main-d'œuvre.")
    tenders.ask_clarification(company, s.open, "Les matelas sont-ils compris dans le lot ?")
    tenders.publish_erratum(
        buyer, s.open, "Titre précisé", tender_values={"title": {**s.open.title, "fr": "Lits médicalisés"}}
    )
    s.open.refresh_from_db()
    apply(company, s.open)
    s.english = tenders.publish(buyer, notice(buyer, category, region, clock, "AO-I18N-EN", "en", english))
    s.draft = notice(buyer, category, region, clock, "AO-I18N-DRAFT", "fr", french)
    return s


def ar(name: str, *args) -> str:
    with translation.override("ar"):
        return reverse(name, args=args)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_no_untranslated_text_on_the_arabic_pages(
    live_server,
    new_context,
    people_read_arabic,
    buyer,
    company,
    other_company,
    category,
    region,
    clock,
    tmp_path,
):
    from seei.help.guides import GUIDES
    from tests.e2e.conftest import log_in

    for po in LOCALE_DIR.glob("*/LC_MESSAGES/django.po"):  # the pages show the compiled catalogues
        mo = po.with_suffix(".mo")
        assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, f"{po}: run compilemessages"
    detector = Detector(code_messages(tmp_path))
    s = the_procedure(buyer, company, other_company, category, region, clock)
    found: dict[str, list[str]] = {}  # text (where) -> pages

    def browser(membership=None):
        page = new_context().new_page()
        if membership is not None:
            log_in(page, live_server.url, membership)
        return page

    def check(page):
        path = page.url.removeprefix(live_server.url)
        assert path.startswith("/ar/"), path
        for where, text in page.evaluate(COLLECT_TEXTS):
            if detector.untranslated(text):
                pages = found.setdefault(f"{normal(text)!r} ({where})", [])
                if path not in pages:
                    pages.append(path)

    def walk(page, *paths, status=200):
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == status, f"{path}: {response.status}"
            check(page)

    pending, final, lot_of = s.pending.award, s.final.award, lambda closed: closed.lot.pk

    # The candidate of the pending award, while it may still upload its documents.
    walk(browser(s.pending.ranked[0]), ar("awards:list"), ar("awards:detail", pending.pk))
    s.submit_pending()
    # A week later the open notices close within the "closing soon" window of the home page.
    clock.advance(timedelta(days=9))

    public = browser()
    walk(
        public,
        ar("portal:home"),
        ar("portal:tenders"),
        ar("portal:tenders") + "?q=fauteuils",
        ar("portal:tenders") + "?q=introuvable",
        ar("portal:tender", s.open.pk),
        ar("portal:tender", s.english.pk),
        ar("portal:tender", s.final.lot.tender_id),
        ar("awards:result", lot_of(s.final)),
        ar("awards:result", lot_of(s.pending)),
        ar("auctions:replay", lot_of(s.final)),
        ar("opendata:statistics"),
        ar("auctions:public_key"),
        ar("accounts:register"),
        ar("accounts:password_reset"),
        ar("accounts:login"),
        ar("practice:home"),
        ar("help:index"),
        ar("help:contact"),
        *(ar("help:guide", guide.slug) for guide in GUIDES),
    )
    public.goto(live_server.url + ar("portal:home"))
    assert public.locator("a[href*='closing_to=']").count() == 1  # the link of the reported bug
    walk(public, ar("portal:tender", 999_999), status=404)
    # Refused forms: their errors, Django's and SEEI's, are in Arabic too.
    public.goto(live_server.url + ar("accounts:register"))
    public.locator("main form").evaluate("form => { form.noValidate = true; }")  # the server's errors
    public.locator("main form [type=submit]").click()
    expect(public.locator(".errorlist").first).to_be_visible()
    check(public)
    public.goto(live_server.url + ar("accounts:login"))
    public.fill("input[name=username]", company.user.email)
    public.fill("input[name=password]", "not the password")
    public.locator("main form [type=submit]").click()
    expect(public.get_by_role("alert")).to_be_visible()
    check(public)

    walk(
        browser(company),
        ar("portal:dashboard"),
        ar("portal:tender", s.open.pk),
        ar("portal:tender", s.english.pk),
        ar("applications:apply", s.english.pk),
        ar("applications:mine"),
        ar("applications:receipt", s.receipt.pk),
        ar("accounts:profile"),
        ar("accounts:tokens"),
        ar("portal:notifications"),
    )
    walk(
        browser(s.final.ranked[0]),
        ar("awards:list"),
        ar("awards:detail", final.pk),
        ar("portal:notifications"),
    )
    draft, draft_lot = s.draft.pk, s.draft.lots.get().pk
    walk(
        browser(buyer),
        ar("tenders:list"),
        ar("tenders:create"),
        ar("tenders:manage", draft),
        ar("tenders:edit", draft),
        ar("tenders:lot_create", draft),
        ar("tenders:lot_edit", draft, draft_lot),
        ar("tenders:document_add", draft),
        ar("tenders:manage", s.open.pk),
        ar("tenders:erratum", s.open.pk),
        ar("tenders:clarifications", s.open.pk),
        ar("applications:commission", s.open.pk),
        ar("tenders:manage", s.examined.pk),
        ar("tenders:manage", s.english.pk),
        ar("awards:list"),
        ar("awards:detail", final.pk),
        ar("awards:detail", pending.pk),
        ar("opendata:mine"),
        ar("portal:notifications"),
    )
    walk(
        browser(s.president),
        ar("applications:commission_list"),
        ar("applications:examination", s.examined.pk),
        ar("portal:notifications"),
    )
    walk(browser(s.pending.commission), ar("awards:list"), ar("awards:detail", pending.pk))
    accountant = browser(s.accountant)
    walk(accountant, ar("awards:accountant"), ar("awards:accountant_award", final.pk))
    accountant.get_by_test_id("verify").click()
    expect(accountant.get_by_test_id("verdict")).to_be_visible()
    check(accountant)

    assert not found, f"{len(found)} untranslated texts on the Arabic pages:\n" + "\n".join(
        f"{text} on {', '.join(pages[:3])}" + (f" and {len(pages) - 3} more pages" if len(pages) > 3 else "")
        for text, pages in found.items()
    )
