"""Full-page screenshots of a running SEEI with the demo data, for the documentation.

    python scripts/screenshots.py [URL] [--out docs/screenshots]

URL defaults to http://127.0.0.1:8000 (``make demo``). It uses Debian's Chromium
(/usr/bin/chromium) through Playwright and writes portal.png, search.png, notice.png,
notice-ar.png, buyer.png, statistics.png and replay.png, at 1280x900.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

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
VIEWPORT = {"width": 1280, "height": 900}
NOTICE = "AO-DHSA-2026-014"  # the wheelchairs notice of the demo data
SEARCH = "fauteuils"
BUYER = ("acheteur@sante.gov.ma", "demo-seei-2026")


def demo_code() -> str:
    """The code an authenticator app holding the demo's published secret shows now."""
    from base64 import b32decode

    from django_otp.oath import totp

    from seei.accounts.twofactor import DEMO_SECRET

    return f"{totp(b32decode(DEMO_SECRET)):06d}"


CLOSED_AUCTION = "AO-DHSA-2026-004"  # one of the demo's closed auctions


def shoot(page: Page, out: Path, name: str) -> None:
    path = out / name
    page.screenshot(path=str(path), full_page=True)
    print(f"{path}  ({page.url})")


def notice_path(page: Page, url: str) -> str:
    """The wheelchairs notice's page, found like a visitor would: by its reference."""
    page.goto(f"{url}/fr/notices/?q={NOTICE}")
    page.locator("article.notice h2 a").first.click()
    expect(page.locator("h1")).to_be_visible()
    return page.url.removeprefix(url).removeprefix("/fr")


def take(url: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        visitor = browser.new_context(viewport=VIEWPORT, locale="fr-FR").new_page()

        visitor.goto(f"{url}/fr/")
        shoot(visitor, out, "portal.png")

        visitor.goto(f"{url}/fr/notices/?q={SEARCH}")
        expect(visitor.get_by_test_id("result-count")).to_be_visible()
        shoot(visitor, out, "search.png")

        path = notice_path(visitor, url)
        shoot(visitor, out, "notice.png")
        visitor.goto(f"{url}/ar{path}")
        expect(visitor.locator("html")).to_have_attribute("dir", "rtl")
        shoot(visitor, out, "notice-ar.png")

        # The buyer's management page of the same notice (input names: the labels are translated).
        buyer = browser.new_context(viewport=VIEWPORT, locale="fr-FR").new_page()
        buyer.goto(f"{url}/fr/accounts/login/")
        buyer.locator("input[name=username]").fill(BUYER[0])
        buyer.locator("input[name=password]").fill(BUYER[1])
        buyer.locator("main form button[type=submit]").click()
        buyer.locator("input[name=code]").fill(demo_code())  # the demo's staff give a second factor
        buyer.locator("main form button[type=submit]").click()
        expect(buyer.get_by_test_id("profile-link")).to_be_visible()
        buyer.goto(f"{url}/fr/buyer/notices/")
        buyer.get_by_role("link", name=NOTICE, exact=True).click()
        expect(buyer.locator("h1")).to_be_visible()
        shoot(buyer, out, "buyer.png")

        # Open data: the statistics of the programme's year 2016, and a closed auction's replay.
        visitor.goto(f"{url}/fr/statistics/?start=2016-01-01&end=2016-12-31&by=month")
        shoot(visitor, out, "statistics.png")
        visitor.goto(f"{url}/fr/notices/?q={CLOSED_AUCTION}")
        visitor.locator("article.notice h2 a").first.click()
        visitor.get_by_test_id("room-link").first.click()
        expect(visitor.locator("svg").first).to_be_visible()
        shoot(visitor, out, "replay.png")

        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="the running server")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    )
    args = parser.parse_args(argv)
    take(args.url.rstrip("/"), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
