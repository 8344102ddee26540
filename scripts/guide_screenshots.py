"""The screenshots of the help centre's guides, taken from the real pages in Arabic, French and English.

    python scripts/guide_screenshots.py [--only NAME ...]        (or: make guides)

It starts what it needs and stops all of it, whatever happens: a private PostgreSQL in a scratch
SEEI_VAR_DIR (migrated, with the demo data and a few more steps of the procedure played through the
services, so that every page has something to show), a SEEI server as a child process (the pages and
the live room), and Debian's Chromium through Playwright. It writes, for every screenshot that a guide
shows (``seei.help.guides``), ``seei/help/static/help/shots/<language>/<name>.webp``: the viewport,
1100×700, scrolled to what the guide talks about. The scratch directory is removed at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "ar", "en")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 700}
MAX_BYTES = 100_000
PASSWORD = "demo-seei-2026"  # the demo accounts' (seei.demo)

# The demo's people (seei.demo.people, seei.demo.closed_auctions) each screenshot is taken as.
ANONYMOUS = ""
ATLAS = "contact@atlas-medical.ma"  # provisional awardee of AO-DHSA-2026-004 once awards start
SAHARA = "contact@sahara-equipements.ma"  # applies to the wheelchairs here
RIF = "contact@rif-distribution.ma"  # asks a question here; has not applied
MAGHREB = "contact@maghreb-bureautique.ma"  # provisional awardee of AO-CASA-2026-009
BUYER = "acheteur@sante.gov.ma"
COMMISSION = "commission@sante.gov.ma"
ACCOUNTANT = "comptable@tgr.gov.ma"

WHEELCHAIRS = "AO-DHSA-2026-014"  # open for applications, with an erratum and an answered question
DRAFT = "AO-DHSA-2026-015"  # the hospitals' draft
CLOSED = "AO-DHSA-2026-004"  # a closed auction of the hospitals
CLOSED_CASA = "AO-CASA-2026-009"  # a closed auction of Casablanca
PAID = "AO-DHSA-2016-001"  # a final award of the accountant's perimeter (the programme's record)
VERIFIED = "AO-DHSA-2016-015"  # another one, whose ledger the accountant verifies


@dataclass(frozen=True)
class Shot:
    """One screenshot: who looks, at which page (a URL name and its arguments, read from the scene),
    and what is brought to the top of the viewport (a CSS selector). ``once`` acts on the page before
    its first screenshot (a bid); ``each`` before every one (a button whose answer is the page)."""

    person: str
    page: Callable[[dict], tuple]  # scene -> (url name, args[, query string])
    focus: str = ""
    once: Callable | None = None  # page -> None
    each: Callable | None = None  # page -> None


def bid_once(page) -> None:
    """A bid in the practice room, inside the range the page allows (from its own starting price)."""
    from playwright.sync_api import expect

    expect(page.locator("#room[data-status=open]")).to_be_visible(timeout=30_000)
    page.locator("#bid-amount").fill("97500")
    page.locator("[data-field=bid-form] button[type=submit]").click()
    expect(page.locator("[data-field=receipt]")).to_be_visible(timeout=15_000)


def verify_ledger(page) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("verdict")).to_be_visible()


SHOTS: dict[str, Shot] = {
    # Companies
    "register": Shot(ANONYMOUS, lambda s: ("accounts:register", [])),
    "login": Shot(ANONYMOUS, lambda s: ("accounts:login", [])),
    "search": Shot(ANONYMOUS, lambda s: ("portal:tenders", [], "q=fauteuils")),
    "notice": Shot(RIF, lambda s: ("portal:tender", [s["wheelchairs"]]), focus="#clarifications"),
    "dashboard": Shot(ATLAS, lambda s: ("portal:dashboard", [])),
    "apply": Shot(RIF, lambda s: ("applications:apply", [s["wheelchairs"]])),
    "applications": Shot(SAHARA, lambda s: ("applications:mine", []), focus="#applications-heading"),
    "practice": Shot(SAHARA, lambda s: ("practice:home", []), focus="#own-practice"),
    "room": Shot(SAHARA, lambda s: ("auctions:room", [s["practice_lot"]]), once=bid_once),
    "replay": Shot(ANONYMOUS, lambda s: ("auctions:replay", [s["closed_lot"]])),
    "company-award": Shot(MAGHREB, lambda s: ("awards:detail", [s["casa_award"]]), focus="#own-heading"),
    "result": Shot(ANONYMOUS, lambda s: ("awards:result", [s["paid_lot"]])),
    "receipt": Shot(SAHARA, lambda s: ("applications:receipt", [s["receipt"]])),
    "public-key": Shot(ANONYMOUS, lambda s: ("auctions:public_key", [])),
    # Buyers and commissions
    "buyer-notices": Shot(BUYER, lambda s: ("tenders:list", [])),
    "buyer-draft": Shot(BUYER, lambda s: ("tenders:manage", [s["draft"]])),
    "lot-form": Shot(BUYER, lambda s: ("tenders:lot_create", [s["draft"]])),
    "erratum": Shot(BUYER, lambda s: ("tenders:erratum", [s["wheelchairs"]])),
    "errata-history": Shot(ANONYMOUS, lambda s: ("portal:tender", [s["wheelchairs"]]), focus="#errata"),
    "clarifications": Shot(BUYER, lambda s: ("tenders:clarifications", [s["wheelchairs"]])),
    "commission": Shot(BUYER, lambda s: ("applications:commission", [s["wheelchairs"]])),
    "examination": Shot(COMMISSION, lambda s: ("applications:examination", [s["closed"]])),
    "awards": Shot(BUYER, lambda s: ("awards:list", [])),
    "buyer-award": Shot(
        COMMISSION, lambda s: ("awards:detail", [s["closed_award"]]), focus="[data-testid=commission-check]"
    ),
    # Accountants
    "accountant-awards": Shot(ACCOUNTANT, lambda s: ("awards:accountant", [])),
    "accountant-award": Shot(
        ACCOUNTANT,
        lambda s: ("awards:accountant_award", [s["verified_award"]]),
        focus="#file-heading",
        each=verify_ledger,
    ),
    "payments": Shot(
        ACCOUNTANT, lambda s: ("awards:accountant_award", [s["paid_award"]]), focus="#execution-heading"
    ),
}


# The data ---------------------------------------------------------------------------------------------


def pdf(name: str):
    """A small real PDF, as a company or a buyer would upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(f"{name}.pdf", body, content_type="application/pdf")


def member(email: str):
    from seei.accounts.models import Membership

    return Membership.objects.select_related("organisation", "user").get(user__email=email)


def award_of(reference: str):
    from seei.awards.models import Award

    return Award.objects.filter(lot__tender__reference=reference).order_by("lot__number").first()


def play_scenes() -> dict:
    """The demo data, then what the guides show beyond it, each step through the services as the pages
    would do it: an application with its receipt, a question waiting for its answer, the awards of the
    closed auctions started, a candidate's documents, a visa and a payment. Returns the ids the pages need."""
    from django.core.management import call_command

    from seei.applications import services as applications
    from seei.awards import documents as award_documents
    from seei.awards import services as awards
    from seei.tenders import services as tenders
    from seei.tenders.models import Tender

    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    wheelchairs = Tender.objects.get(reference=WHEELCHAIRS)
    receipt = applications.apply(
        member(SAHARA),
        wheelchairs,
        lots=list(wheelchairs.lots.all()),
        documents=[("administrative", pdf("attestation-fiscale")), ("technical", pdf("offre-technique"))],
        declaration=True,
    )
    tenders.ask_clarification(
        member(RIF), wheelchairs, "Une garantie de deux ans est-elle exigée pour les fauteuils électriques ?"
    )
    awards.start_missing_awards()
    closed_award = award_of(CLOSED)
    awards.submit_documents(
        member(ATLAS), closed_award, {kind: pdf(kind) for kind in award_documents.required()}
    )
    paid = award_of(PAID)
    accountant = member(ACCOUNTANT)
    awards.give_visa(accountant, paid, "granted")
    awards.record_payment(accountant, paid, date.today(), Decimal("100000.00"), "OP-2026-0042")
    return {
        "wheelchairs": wheelchairs.pk,
        "draft": Tender.objects.get(reference=DRAFT).pk,
        "closed": Tender.objects.get(reference=CLOSED).pk,
        "closed_lot": closed_award.lot_id,
        "closed_award": closed_award.pk,
        "casa_award": award_of(CLOSED_CASA).pk,
        "paid_award": paid.pk,
        "paid_lot": paid.lot_id,
        "verified_award": award_of(VERIFIED).pk,
        "receipt": receipt.pk,
    }


# The browser ------------------------------------------------------------------------------------------


def url_of(base: str, language: str, target: tuple) -> str:
    from django.urls import reverse
    from django.utils import translation

    name, args, *query = target
    with translation.override(language):
        path = reverse(name, args=args)
    return base + path + (f"?{query[0]}" if query else "")


def log_in(browser, base: str, email: str):
    from playwright.sync_api import expect

    from seei.accounts.twofactor import services as second_factor

    page = browser.new_context(viewport=VIEWPORT, locale="fr-FR").new_page()
    if email:
        page.goto(f"{base}/fr/accounts/login/")
        page.locator("input[name=username]").fill(email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        code = second_factor.demo_code(email)
        if code is not None:  # the demo's staff accounts give the code of the demo authenticator
            page.locator("input[name=code]").fill(code)
            page.locator("main form button[type=submit]").click()
        expect(page.get_by_test_id("profile-link")).to_be_visible()
    return page


def start_practice(page, base: str) -> int:
    """A practice auction of the company's own, started from the practice page: the room to bid in."""
    page.goto(f"{base}/fr/practice/")
    page.locator("input[name=minutes]").fill("15")
    page.get_by_test_id("start-practice").click()
    page.wait_for_url("**/auctions/lots/*/room/")
    return int(page.url.rstrip("/").split("/")[-2])


def save(png: bytes, path: Path) -> int:
    """The screenshot as WebP, as small as it stays readable (under MAX_BYTES)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    for quality in (80, 70, 60, 50):
        buffer = io.BytesIO()
        image.save(buffer, "WEBP", quality=quality, method=6)
        if buffer.tell() <= MAX_BYTES:
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return buffer.tell()


def take(base: str, scene: dict, names: list[str], out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pages: dict[str, object] = {}
            for name in names:
                shot = SHOTS[name]
                if shot.person not in pages:
                    pages[shot.person] = log_in(browser, base, shot.person)
                page = pages[shot.person]
                if name == "room" and "practice_lot" not in scene:
                    scene["practice_lot"] = start_practice(page, base)
                for number, language in enumerate(LANGUAGES):
                    page.goto(url_of(base, language, shot.page(scene)))
                    expect(page.locator("html")).to_have_attribute("lang", language)
                    if shot.once and number == 0:
                        shot.once(page)
                    if shot.each:
                        shot.each(page)
                    if page.locator("#room").count():  # a live room: wait until it shows the live state
                        expect(page.locator("#room[data-connected=true]")).to_be_visible(timeout=15_000)
                    if shot.focus:
                        page.locator(shot.focus).first.evaluate(
                            "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 16)"
                        )
                    path = out / language / f"{name}.webp"
                    size = save(page.screenshot(), path)
                    print(f"{path}  {size // 1024} KB  ({page.url})", flush=True)
        finally:
            browser.close()


# The processes ----------------------------------------------------------------------------------------


def server(scratch: Path):
    """``python -m seei.room.server`` on a free port, on the scratch database: a ``Child``, answering."""
    import socket

    from django.conf import settings

    from seei.core import database
    from seei.core.children import Child

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database.url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    args = [sys.executable, "-m", "seei.room.server", "--port", str(port), "--log-level", "warning"]
    child = Child("guides-server", args, env, scratch / "server.log")
    child.url = f"http://127.0.0.1:{port}"
    child.wait_http(f"{child.url}/room/time", timeout=60)
    return child


def postgres_left(data_dir: Path) -> list[int]:
    """The processes still running on the scratch data directory (none once it is stopped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(data_dir) in command and entry.name != str(os.getpid()):
                found.append(int(entry.name))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SHOTS), help="take only these screenshots")
    parser.add_argument("--out", type=Path, default=ROOT / "seei" / "help" / "static" / "help" / "shots")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill ends it as Ctrl-C does: cleaned up

    scratch = Path(tempfile.mkdtemp(prefix="seei-guides-"))
    data_dir = scratch / "var" / "pgdata"
    # The scratch database, never the machine's or the demo's.
    for name in ("DATABASE_URL", "REDIS_URL", "SEEI_REQUIRE_SERVICES", "SEEI_TEST_CLOCK", "SECRET_KEY"):
        os.environ.pop(name, None)
    os.environ.update(
        SEEI_VAR_DIR=str(scratch / "var"), DJANGO_SETTINGS_MODULE="seei.settings", LOG_LEVEL="WARNING"
    )
    django_ready = False
    try:
        import django

        django.setup()
        django_ready = True
        scene = play_scenes()
        with server(scratch) as web:
            take(web.url, scene, args.only or list(SHOTS), args.out)
    finally:
        if django_ready:
            from django.db import connections

            from seei import embedded

            connections.close_all()
            embedded.stop_if_started_here()
        left = postgres_left(data_dir)
        for pid in left:  # only processes of our own scratch directory
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(scratch, ignore_errors=True)
        if left:
            print(f"PostgreSQL of {data_dir} was still running: stopped {left}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
