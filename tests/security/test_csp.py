"""Every page carries a strict Content-Security-Policy, X-Content-Type-Options and Referrer-Policy; no
template needs what that policy forbids (inline scripts and styles, style="" attributes, on*="" handlers).
The browser test (tests/e2e/test_csp.py) checks the pages as rendered."""

import re
from pathlib import Path

import pytest

import seei

TEMPLATES = sorted(Path(seei.__file__).parent.glob("**/templates/**/*.html"))
FORBIDDEN = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
    ),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: link": re.compile(r"javascript:", re.I),
}


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/en/", "/fr/notices/", "/ar/statistics/", "/en/help/", "/en/accounts/login/", "/admin/login/"]
)
def test_every_page_carries_a_strict_policy_and_djangos_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    policy = directives(response["Content-Security-Policy"])
    for directive in ("script-src", "style-src", "default-src"):
        assert policy[directive] == ["'self'"], (path, directive)
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_an_error_page_carries_the_policy_too(client):
    response = client.get("/en/notices/999999/")
    assert response.status_code == 404
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_no_template_needs_what_the_policy_forbids():
    assert len(TEMPLATES) > 50
    found = [
        f"{template.relative_to(Path(seei.__file__).parent)}: {what}"
        for template in TEMPLATES
        for what, pattern in FORBIDDEN.items()
        if pattern.search(template.read_text())
    ]
    assert found == []
