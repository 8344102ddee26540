"""The "?" of every page leads to the guide of that page, for the visitor's role; else to the help centre."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

HELP_LINK = re.compile(
    r'<a href="([^"]+)" class="help-link" data-testid="help-link"[^>]*aria-label="([^"]+)"'
)


def help_link(client, path: str) -> tuple[str, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    found = HELP_LINK.search(response.content.decode())
    assert found, f"no help link on {path}"
    return found.group(1), found.group(2)


def guide(slug: str, language: str = "en") -> str:
    with translation.override(language):
        return reverse("help:guide", args=[slug])


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        ("/en/notices/", "company-find"),
        ("/en/accounts/register/", "company-register"),
        ("/en/accounts/login/", "company-register"),
        ("/en/auctions/public-key/", "company-receipts"),
        ("/en/practice/", "company-room"),
    ],
)
def test_a_public_page_links_to_its_guide(client, db, path, slug):
    href, label = help_link(client, path)
    assert href == guide(slug)
    assert label.startswith("Help for this page: ")


def test_a_page_without_a_guide_links_to_the_help_centre(client, db):
    href, label = help_link(client, "/en/statistics/")
    assert href == "/en/help/"
    assert label == "Help centre"


def test_the_link_follows_the_language_of_the_page(client, db):
    href, _label = help_link(client, "/ar/notices/")
    assert href == guide("company-find", "ar")


def test_a_page_several_guides_explain_links_to_the_guide_of_the_visitors_role(client, buyer, company):
    client.force_login(buyer.user)
    assert help_link(client, "/en/awards/")[0] == guide("buyer-award")
    assert help_link(client, "/en/buyer/notices/")[0] == guide("buyer-notice")
    client.force_login(company.user)
    assert help_link(client, "/en/awards/")[0] == guide("company-award")
    assert help_link(client, "/en/applications/")[0] == guide("company-apply")


def test_every_page_links_to_the_help_centre_and_the_contact_page_in_its_footer(client, db):
    html = client.get("/fr/notices/").content.decode()
    footer = html[html.index('<footer class="bottom">') :]
    assert 'href="/fr/help/"' in footer
    assert 'href="/fr/help/contact/"' in footer


def test_a_page_not_found_links_to_the_help_centre(client, db):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    found = HELP_LINK.search(response.content.decode())
    assert found and found.group(1) == "/en/help/"
