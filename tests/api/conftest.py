"""Fixtures of the API tests: a small JSON client, tokens, and request bodies."""

import hashlib
import secrets
from datetime import timedelta

import pytest

from tests.conftest import Client


def token_for(membership) -> str:
    """A personal API token of this membership; returns the key (only its hash is stored)."""
    from seei.accounts.models import ApiToken

    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        membership=membership, name="tests", key_hash=hashlib.sha256(key.encode()).hexdigest(), prefix=key[:8]
    )
    return key


class ApiClient:
    """Calls /api/v1/ with JSON bodies, an optional token and an Accept-Language."""

    def __init__(self, key=None, language="en", client=None):
        self.client = client or Client()
        self.headers = {"Accept-Language": language}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def _url(self, path):
        return "/api/v1" + path

    def get(self, path, **params):
        return self.client.get(self._url(path), params, headers=self.headers)

    def post(self, path, body=None):
        return self.client.post(
            self._url(path), body or {}, content_type="application/json", headers=self.headers
        )

    def patch(self, path, body):
        return self.client.patch(self._url(path), body, content_type="application/json", headers=self.headers)

    def put(self, path, body):
        return self.client.put(self._url(path), body, content_type="application/json", headers=self.headers)

    def delete(self, path):
        return self.client.delete(self._url(path), headers=self.headers)

    def upload(self, path, **form):
        return self.client.post(self._url(path), form, headers=self.headers)


@pytest.fixture
def api(db):
    """``api()`` for the public, ``api(membership)`` to act with that membership's token."""

    def make(membership=None, language="en"):
        return ApiClient(token_for(membership) if membership else None, language)

    return make


def notice_body(now, **overrides):
    body = {
        "reference": "API-2026-001",
        "original_language": "fr",
        "title": {"fr": "Acquisition de lits médicalisés", "en": "Purchase of hospital beds"},
        "object": {"fr": "Fourniture de lits médicalisés pour le CHU"},
        "category": "T-SANTE",
        "region": "T-01",
        "delivery_place": "Rabat, CHU Ibn Sina",
        "currency": "MAD",
        "application_deadline": (now + timedelta(days=12)).isoformat(),
    }
    body.update(overrides)
    return body


def lot_body(now, **overrides):
    body = {
        "title": {"fr": "Lot unique : lits", "en": "Single lot: beds"},
        "estimated_amount": "250000.00",
        "starting_price": "250000.00",
        "min_decrement_kind": "amount",
        "min_decrement": "500.00",
        "max_decrement_kind": "percent",
        "max_decrement": "10",
        "opens_at": (now + timedelta(days=15)).isoformat(),
        "items": [
            {
                "designation": {"fr": "Lit médicalisé électrique", "en": "Electric hospital bed"},
                "specification": {"fr": "Trois fonctions, charge 200 kg"},
                "quantity": "40",
                "unit": "unité",
            }
        ],
    }
    body.update(overrides)
    return body


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
