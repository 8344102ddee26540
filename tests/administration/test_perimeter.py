from django.urls import reverse

from seei.accounts.models import Organisation
from seei.core.models import AuditEvent


def test_the_perimeter_is_edited_and_audited(admin_client, administrator, buyer_org, other_buyer_org):
    post = Organisation.objects.create(kind="accountant_post", name="Trésorerie de la Santé")
    post.perimeter.set([buyer_org])
    url = reverse("administration:perimeter", args=[post.pk])
    assert "Commune de Fès" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"buyers": [other_buyer_org.pk, buyer_org.parent_id]})
    assert response.status_code == 302
    assert set(post.perimeter.all()) == {other_buyer_org, buyer_org.parent}
    event = AuditEvent.objects.get(action="organisation.perimeter_changed")
    assert event.actor == administrator.user
    assert event.data["before"] == [buyer_org.pk]
    assert event.data["removed"] == [buyer_org.pk]
    assert sorted(event.data["added"]) == sorted([other_buyer_org.pk, buyer_org.parent_id])


def test_only_buyers_in_a_perimeter(admin_client, company):
    post = Organisation.objects.create(kind="accountant_post", name="Perception de Fès")
    response = admin_client.post(
        reverse("administration:perimeter", args=[post.pk]), {"buyers": [company.organisation_id]}
    )
    assert response.status_code == 400
    assert not post.perimeter.exists()
    assert not AuditEvent.objects.filter(action="organisation.perimeter_changed").exists()


def test_only_an_accountant_post_has_a_perimeter_page(admin_client, buyer_org):
    assert admin_client.get(reverse("administration:perimeter", args=[buyer_org.pk])).status_code == 404
