"""The help centre's pages: the index and every guide in the three languages, with their screenshots."""

import re

import pytest
from django.conf import settings
from django.urls import get_resolver, reverse
from django.utils import translation
from django.utils.html import escape

from seei.help import guides

LANGUAGES = [code for code, _name in settings.LANGUAGES]
IMAGE = re.compile(
    r'<img src="/static/help/shots/(\w+)/([\w-]+)\.webp" alt="[^"]+" width="1100" height="700"'
)


def url(name, language, *args):
    with translation.override(language):
        return reverse(name, args=args)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_index_lists_every_guide_by_audience_and_the_help_desk(client, db, language, settings):
    settings.SEEI_HELPDESK_PHONE = "+212 5 22 11 22 33"
    response = client.get(url("help:index", language))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in html
    links = re.findall(r'data-testid="guide-entry"><a href="([^"]+)"', html)
    assert links == [url("help:guide", language, guide.slug) for guide in guides.GUIDES]
    assert 'href="tel:+212522112233"' in html
    assert url("help:contact", language) in html
    assert html.count("<li>", html.index('data-testid="procedure"')) >= 7


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("guide", guides.GUIDES, ids=lambda guide: guide.slug)
def test_every_guide_renders_in_its_language_with_its_screenshots_on_disk(client, db, language, guide):
    response = client.get(url("help:guide", language, guide.slug))
    html = response.content.decode()
    assert response.status_code == 200
    # Its own text in that language, not the fallback of another one.
    assert f"help/guides/{language}/{guide.slug}.html" in [template.name for template in response.templates]
    shown = IMAGE.findall(html)
    assert sorted(name for _language, name in shown) == sorted(guide.shots)  # each once, none missing
    assert {shot_language for shot_language, _name in shown} == {language}
    for name in guide.shots:
        assert guides.shot_path(language, name).is_file(), f"{language}/{name} was never taken"
    with translation.override(language):
        assert f'<h1 id="guide-title">{escape(guide.title)}</h1>' in html


def test_the_numbers_of_the_procedure_come_from_the_settings(client, db, settings):
    settings.SEEI_PUBLICITY_MIN_DAYS = 21
    html = client.get(url("help:guide", "en", "buyer-notice")).content.decode()
    assert "at least 21 days of publicity" in html
    index = client.get(url("help:index", "en")).content.decode()
    assert "at least 21 days of publicity" in index


def test_an_unknown_guide_is_not_found(client, db):
    assert client.get(url("help:guide", "en", "no-such-guide")).status_code == 404


def test_the_guides_step_through_their_audience(client, db):
    html = client.get(url("help:guide", "fr", "company-apply")).content.decode()
    assert f'href="{url("help:guide", "fr", "company-find")}" rel="prev"' in html
    assert f'href="{url("help:guide", "fr", "company-room")}" rel="next"' in html


def all_view_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif pattern.name:
                yield namespace + pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_page_a_guide_claims_exists():
    claimed = {view for guide in guides.GUIDES for view in guide.views}
    assert claimed - all_view_names() == set()
