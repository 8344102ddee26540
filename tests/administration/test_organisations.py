"""Organisations created and changed by an administrator, audited with before and after."""

from django.urls import reverse

from seei.accounts.models import Organisation
from seei.core.models import AuditEvent


def test_list_filters_by_kind_and_searches(admin_client, company, buyer):
    url = reverse("administration:organisations")
    html = admin_client.get(url, {"kind": "buyer"}).content.decode()
    assert "Direction des Hôpitaux" in html and "Atlas Médical" not in html
    html = admin_client.get(url, {"q": "001234567"}).content.decode()
    assert "Atlas Médical" in html and "Direction des Hôpitaux" not in html


def test_list_is_paginated(admin_client, db):
    Organisation.objects.bulk_create(
        Organisation(kind="accountant_post", name=f"Perception {n:03}") for n in range(60)
    )
    first = admin_client.get(reverse("administration:organisations")).content.decode()
    assert "Perception 000" in first and "Perception 059" not in first
    second = admin_client.get(reverse("administration:organisations"), {"page": 2}).content.decode()
    assert "Perception 059" in second


def test_create_a_buyer_under_its_ministry(admin_client, administrator, buyer_org):
    ministry = buyer_org.parent
    response = admin_client.post(
        reverse("administration:organisation_create", args=["buyer"]),
        {
            "name": "Direction du Médicament",
            "buyer_type": "public_body",
            "parent": ministry.pk,
            "city": "Rabat",
        },
    )
    created = Organisation.objects.get(name="Direction du Médicament")
    assert response.status_code == 302
    assert (created.kind, created.parent, created.buyer_type) == ("buyer", ministry, "public_body")
    event = AuditEvent.objects.get(action="organisation.created", object_id=str(created.pk))
    assert event.actor == administrator.user
    assert event.data["after"]["parent_id"] == ministry.pk and event.data["kind"] == "buyer"


def test_edit_is_audited_with_before_and_after(admin_client, buyer_org):
    response = admin_client.post(
        reverse("administration:organisation_edit", args=[buyer_org.pk]),
        {
            "name": "Direction des Hôpitaux publics",
            "buyer_type": "public_body",
            "parent": buyer_org.parent_id,
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="organisation.updated", object_id=str(buyer_org.pk))
    assert event.data["before"] == {"name": "Direction des Hôpitaux"}
    assert event.data["after"] == {"name": "Direction des Hôpitaux publics"}


def test_a_buyer_cannot_be_put_under_its_own_directorate(admin_client, buyer_org):
    ministry = buyer_org.parent
    response = admin_client.post(
        reverse("administration:organisation_edit", args=[ministry.pk]),
        {"name": ministry.name, "buyer_type": "ministry", "parent": buyer_org.pk},
    )
    assert response.status_code == 400
    ministry.refresh_from_db()
    assert ministry.parent is None
    assert not AuditEvent.objects.filter(action="organisation.updated").exists()


def test_a_company_with_a_checked_ice_is_refused_clearly(admin_client, company):
    response = admin_client.post(
        reverse("administration:organisation_create", args=["company"]),
        {"name": "Copie SARL", "ice": company.organisation.ice, "country": "MA", "city": "Fès"},
    )
    assert response.status_code == 400
    assert "Another checked company already has this ICE." in response.content.decode()
    assert not Organisation.objects.filter(name="Copie SARL").exists()


def test_a_malformed_ice_is_refused(admin_client, db):
    response = admin_client.post(
        reverse("administration:organisation_create", args=["company"]),
        {"name": "Mauvais SARL", "ice": "12345", "country": "MA"},
    )
    assert response.status_code == 400
    assert "The ICE is made of exactly 15 digits." in response.content.decode()


def test_a_company_created_here_is_checked(admin_client, db):
    admin_client.post(
        reverse("administration:organisation_create", args=["company"]),
        {"name": "Oasis Import SA", "ice": "009876543000021", "country": "MA", "city": "Agadir"},
    )
    created = Organisation.objects.get(name="Oasis Import SA")
    assert created.pending is False and created.ice == "009876543000021"


def test_an_accountant_post_is_created(admin_client, db):
    admin_client.post(
        reverse("administration:organisation_create", args=["accountant_post"]),
        {"name": "Perception de Meknès"},
    )
    assert Organisation.objects.get(name="Perception de Meknès").kind == "accountant_post"


def test_other_kinds_are_not_created_here(admin_client):
    assert (
        admin_client.get(reverse("administration:organisation_create", args=["practice"])).status_code == 404
    )
