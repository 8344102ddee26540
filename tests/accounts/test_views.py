from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext

from seei.accounts import services
from seei.accounts.decorators import role_required
from seei.accounts.middleware import SESSION_KEY
from seei.accounts.models import ApiToken, Membership, Organisation, User
from seei.alerts.models import Notification
from tests.accounts.helpers import STRONG_PASSWORD, link_path, registration_data
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def counts():
    return Organisation.objects.count(), User.objects.count(), Membership.objects.count()


def language_cookie(response):
    return response.cookies[settings.LANGUAGE_COOKIE_NAME].value


# Registration and verification -----------------------------------------------------


def test_registration_page_has_labelled_fields(client):
    response = client.get("/en/accounts/register/")
    assert response.status_code == 200
    content = response.content.decode()
    for field in (
        "company_name",
        "country",
        "ice",
        "national_registration",
        "email",
        "password1",
        "language",
    ):
        assert f'for="id_{field}"' in content
    assert "csrfmiddlewaretoken" in content


def test_registration_then_verification_link_activates_but_does_not_log_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/accounts/register/", registration_data(language="ar"))
    assert response.status_code == 302
    assert response.url == "/en/accounts/login/"

    membership = Membership.objects.select_related("organisation", "user").get(
        user__email="youssef@rif-fournitures.ma"
    )
    assert membership.role == "company_member"
    assert (membership.organisation.kind, membership.organisation.ice) == ("company", "003456789000045")
    assert membership.organisation.pending  # until an administrator has checked its ICE
    assert not membership.user.is_active and not membership.user.email_verified
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["youssef@rif-fournitures.ma"]
    path = link_path(mail.outbox[0].body)
    assert path.startswith("/ar/accounts/verify/")  # in the person's language

    response = client.get(path)
    assert response.status_code == 302
    assert response.url == "/ar/accounts/login/"  # the link verifies; the password logs in
    assert language_cookie(response) == "ar"
    user = User.objects.get(pk=membership.user_id)
    assert user.is_active and user.email_verified
    assert "_auth_user_id" not in client.session
    with translation.override("ar"):
        verified = gettext("Your email address is verified. Log in to start using SEEI.")
    assert verified in client.get(response.url).content.decode()

    again = client.get(path)
    assert again.status_code == 400
    with translation.override("ar"):  # the link was an Arabic page
        assert gettext("This verification link is not valid") in again.content.decode()


def test_wrong_verification_link_changes_nothing(client):
    membership = services.register_company(
        company={"name": "Rif", "country": "MA", "ice": "003456789000045", "city": "Tanger"},
        person={"first_name": "Y", "last_name": "A", "email": "y@rif.ma", "language": "fr"},
        password=STRONG_PASSWORD,
    )
    path = services.verification_link(membership.user).replace(settings.SITE_URL, "")
    response = client.get(path[:-2] + "x/")
    assert response.status_code == 400
    membership.user.refresh_from_db()
    assert not membership.user.is_active
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ice": "12345"}, "The ICE is made of exactly 15 digits."),
        ({"country": "DE", "ice": ""}, "The national registration number is required for a foreign company."),
    ],
    ids=["ice-not-15-digits", "foreign-without-number"],
)
def test_bad_registration_shows_the_error_and_creates_nothing(
    client, company, django_capture_on_commit_callbacks, overrides, message
):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/accounts/register/", registration_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert 'class="errorlist' in response.content.decode()
    assert counts() == before
    assert mail.outbox == []


@pytest.mark.parametrize(
    "overrides", [{"ice": "001234567000089"}, {"email": "Contact@Atlas-Medical.ma"}], ids=["ice", "email"]
)
def test_a_registered_ice_or_email_gets_the_same_answer_as_a_new_one(
    client, company, django_capture_on_commit_callbacks, overrides
):
    """No account enumeration: the page says what it says to anyone."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/accounts/register/", registration_data(**overrides), follow=True)
    assert response.redirect_chain == [("/en/accounts/login/", 302)]
    email = registration_data(**overrides)["email"].lower()
    assert [str(message) for message in response.context["messages"]] == [
        f"Almost done: we have sent a verification link to {email}. Follow it to activate your account."
    ]
    assert [message.to for message in mail.outbox] == [[email]]  # a link, or a word to the owner


def test_the_administrator_sees_both_registrants_of_one_ice_and_approves_with_an_audited_action(
    client, company, django_capture_on_commit_callbacks
):
    from seei.core.models import AuditEvent

    client.post("/en/accounts/register/", registration_data(ice=company.organisation.ice))
    client.post("/en/accounts/register/", registration_data(ice="003456789000045", email="b@rif.ma"))
    admin = User.objects.create_superuser("root@seei.ma", PASSWORD)
    client.force_login(admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    listing = client.get("/admin/accounts/organisation/", {"q": company.organisation.ice}).content.decode()
    assert listing.count('<th class="field-name">') == 2  # the company and its squatter, side by side
    assert "Rif Fournitures SARL" in listing and "Atlas Médical SARL" in listing

    pending = Organisation.objects.filter(pending=True).order_by("pk")
    assert pending.count() == 2
    response = client.post(
        "/admin/accounts/organisation/",
        {"action": "approve", "_selected_action": [org.pk for org in pending]},
        follow=True,
    )
    page = response.content.decode()
    assert "another company is already approved with the ICE 001234567000089" in page
    assert "Companies approved: 1." in page
    assert list(Organisation.objects.filter(pending=True).values_list("ice", flat=True)) == [
        company.organisation.ice
    ]
    event = AuditEvent.objects.get(action="company.approved")
    assert event.actor == admin and event.data["ice"] == "003456789000045"


def test_registering_a_company_leaves_the_portal_cache_alone(client, buyer_org, monkeypatch):
    from seei.portal import cache

    bumps = []
    monkeypatch.setattr(cache, "bump", lambda: bumps.append(1))
    client.post("/en/accounts/register/", registration_data())
    assert Organisation.objects.filter(kind="company").count() == 1
    assert bumps == []
    buyer_org.name = "Direction des Hôpitaux publics"
    buyer_org.save()  # a buyer's name is on public pages: it still empties the cache
    assert bumps == [1]


# Login -------------------------------------------------------------------------------


def test_unverified_account_is_refused_with_a_message_and_a_new_link(
    client, django_capture_on_commit_callbacks
):
    services.register_company(
        company={"name": "Rif", "country": "MA", "ice": "003456789000045", "city": "Tanger"},
        person={"first_name": "Y", "last_name": "A", "email": "y@rif.ma", "language": "fr"},
        password=PASSWORD,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/en/accounts/login/", {"username": "y@rif.ma", "password": PASSWORD})
    assert response.status_code == 200
    assert "Your email address is not verified yet" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert link_path(mail.outbox[0].body).startswith("/fr/accounts/verify/")


def test_active_but_unverified_account_is_refused_too(client, django_capture_on_commit_callbacks):
    User.objects.create_user("made-by-admin@rif.ma", PASSWORD, is_active=True, email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/accounts/login/", {"username": "made-by-admin@rif.ma", "password": PASSWORD}
        )
    assert "Your email address is not verified yet" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1


def test_wrong_password_on_an_unverified_account_reveals_nothing(client, django_capture_on_commit_callbacks):
    User.objects.create_user("y@rif.ma", PASSWORD, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/accounts/login/", {"username": "y@rif.ma", "password": "not-the-password"}
        )
    content = response.content.decode()
    assert "Please enter a correct email address and password" in content
    assert "not verified" not in content
    assert mail.outbox == []


def test_login_redirects_to_next_in_the_person_language(client, company):
    User.objects.filter(pk=company.user_id).update(language="ar")
    response = client.post(
        "/fr/accounts/login/?next=/fr/notices/%3Fq%3Dfauteuils",
        {"username": company.user.email, "password": PASSWORD, "next": "/fr/notices/?q=fauteuils"},
    )
    assert response.status_code == 302
    assert response.url == "/ar/notices/?q=fauteuils"
    assert language_cookie(response) == "ar"
    assert client.session["_auth_user_id"] == str(company.user_id)


def test_login_without_next_goes_to_the_dashboard_in_the_person_language(client, company):
    User.objects.filter(pk=company.user_id).update(language="en")
    response = client.post("/fr/accounts/login/", {"username": company.user.email, "password": PASSWORD})
    assert response.url == "/en/dashboard/"
    assert language_cookie(response) == "en"


def test_login_ignores_a_next_url_on_another_site(client, company):
    response = client.post(
        "/fr/accounts/login/",
        {"username": company.user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == f"/{company.user.language}/dashboard/"


def test_login_page_labels_the_email_field(client):
    content = client.get("/en/accounts/login/").content.decode()
    assert '<label for="id_username">Email:</label>' in content
    assert 'type="email"' in content


# Profile and acting membership -------------------------------------------------------


def test_profile_language_change_saves_and_switches_the_site_language(client, company):
    client.force_login(company.user)
    response = client.post(
        "/fr/accounts/profile/", {"first_name": "Karim", "last_name": "Bennani", "language": "en"}
    )
    assert response.status_code == 302
    assert response.url == "/en/accounts/profile/"
    assert language_cookie(response) == "en"
    company.user.refresh_from_db()
    assert (company.user.first_name, company.user.last_name, company.user.language) == (
        "Karim",
        "Bennani",
        "en",
    )


def test_profile_refuses_an_empty_name(client, company):
    client.force_login(company.user)
    response = client.post(
        "/en/accounts/profile/", {"first_name": "", "last_name": "Owner", "language": "ar"}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    company.user.refresh_from_db()
    assert (company.user.first_name, company.user.language) == (
        "Atlas",
        "en",
    )  # the fixture user's language, unchanged


def test_profile_lists_memberships_and_switching_changes_the_acting_one(client, company, buyer_org):
    second = Membership.objects.create(user=company.user, organisation=buyer_org, role="commission_member")
    client.force_login(company.user)

    content = client.get("/en/accounts/profile/").content.decode()
    assert "Atlas Médical SARL" in content and "Direction des Hôpitaux" in content
    assert "Commission member" in content and "Company member" in content
    assert f'name="membership" value="{second.pk}"' in content  # the one not acting now

    response = client.post("/en/accounts/switch/", {"membership": second.pk, "next": "/en/accounts/profile/"})
    assert response.status_code == 302
    assert response.url == "/en/accounts/profile/"
    assert client.session[SESSION_KEY] == second.pk
    page = client.get("/en/accounts/profile/")
    assert page.context["membership"] == second
    assert f'name="membership" value="{company.pk}"' in page.content.decode()


def test_a_membership_numbered_past_a_thousand_is_written_as_a_plain_number(client, company, buyer_org):
    """Numbers in templates are localised with thousands separators: ids must not be ("1,234")."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_membership', 'id'), 123456)")
    second = Membership.objects.create(user=company.user, organisation=buyer_org, role="commission_member")
    client.force_login(company.user)

    assert f'name="membership" value="{second.pk}"' in client.get("/en/accounts/profile/").content.decode()


def test_switching_to_a_membership_of_another_person_is_refused(client, company, other_company):
    client.force_login(company.user)
    response = client.post("/en/accounts/switch/", {"membership": other_company.pk})
    assert response.status_code == 403
    assert SESSION_KEY not in client.session
    assert client.get("/en/accounts/profile/").context["membership"] == company


def test_switching_needs_a_post(client, company):
    client.force_login(company.user)
    assert client.get("/en/accounts/switch/", {"membership": company.pk}).status_code == 405


def test_profile_needs_a_login(client):
    response = client.get("/en/accounts/profile/")
    assert response.status_code == 302
    assert response.url == "/en/accounts/login/?next=/en/accounts/profile/"


# role_required -------------------------------------------------------------------------


@role_required("buyer_agent")
def buyer_page(request):
    return HttpResponse("buyer page")


def test_role_required_refuses_a_company_member_with_a_clear_message(rf, company):
    request = rf.get("/fr/buyer/")
    request.user, request.membership = company.user, company
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        buyer_page(request)
    assert "This page is reserved for: Buyer agent." in str(refused.value)
    assert "You are acting as Company member for Atlas Médical SARL" in str(refused.value)


def test_role_required_lets_the_role_in(rf, buyer):
    request = rf.get("/fr/buyer/")
    request.user, request.membership = buyer.user, buyer
    assert buyer_page(request).content == b"buyer page"


def test_role_required_sends_anonymous_visitors_to_login(rf):
    request = rf.get("/fr/buyer/?page=2")
    request.user = AnonymousUser()
    with translation.override("fr"):
        response = buyer_page(request)
    assert response.status_code == 302
    assert response.url == "/fr/accounts/login/?next=/fr/buyer/%3Fpage%3D2"


def test_role_required_refuses_a_person_without_membership(rf):
    request = rf.get("/fr/buyer/")
    request.user, request.membership = User.objects.create_user("lonely@x.ma", PASSWORD), None
    with (
        translation.override("en"),
        pytest.raises(PermissionDenied, match="does not act for any organisation"),
    ):
        buyer_page(request)


@pytest.mark.urls("tests.accounts.urls")
def test_role_required_through_the_whole_stack(client, company, buyer):
    client.force_login(company.user)
    assert client.get("/test-buyer-page/").status_code == 403
    client.force_login(buyer.user)
    assert client.get("/test-buyer-page/").content == b"buyer page"


# Password reset -------------------------------------------------------------------------


def test_password_reset_sends_a_link_that_sets_a_new_password(client, company):
    response = client.get("/fr/accounts/password/reset/")
    assert 'for="id_email"' in response.content.decode()

    response = client.post("/fr/accounts/password/reset/", {"email": "contact@atlas-medical.ma"})
    assert response.status_code == 302
    assert response.url == "/fr/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["contact@atlas-medical.ma"]
    assert "\n" not in mail.outbox[0].subject
    path = link_path(mail.outbox[0].body)
    assert path.startswith("/fr/accounts/password/reset/")

    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    new_password = "Nouveau-Mot-De-Passe-2026"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert response.url == "/fr/accounts/password/reset/done/"
    company.user.refresh_from_db()
    assert company.user.check_password(new_password)
    assert client.get(path, follow=True).context["validlink"] is False  # used once


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client):
    response = client.post("/fr/accounts/password/reset/", {"email": "nobody@nowhere.ma"})
    assert response.url == "/fr/accounts/password/reset/sent/"
    assert mail.outbox == []


# API tokens ---------------------------------------------------------------------------


def test_api_token_is_shown_once_and_authenticates(client, company):
    from seei.accounts.api_auth import authenticate_token

    client.force_login(company.user)
    response = client.post("/en/accounts/tokens/", {"action": "create", "name": "ERP integration"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = response.context["new_key"]
    assert key and key in response.content.decode()
    token = ApiToken.objects.get(membership=company)
    assert token.prefix == key[:8] and key not in token.key_hash

    listing = client.get("/en/accounts/tokens/").content.decode()
    assert "ERP integration" in listing and token.prefix in listing
    assert key not in listing

    assert authenticate_token(key) == company

    response = client.post("/en/accounts/tokens/", {"action": "revoke", "token": token.pk})
    assert response.status_code == 302
    assert authenticate_token(key) is None


def test_api_token_without_name_is_refused(client, company):
    client.force_login(company.user)
    response = client.post("/en/accounts/tokens/", {"action": "create", "name": ""})
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_the_token_of_another_company_is_refused(client, company, other_company):
    theirs, _key = services.create_api_token(other_company, "Theirs")
    client.force_login(company.user)
    response = client.post("/en/accounts/tokens/", {"action": "revoke", "token": theirs.pk}, follow=True)
    assert "This token does not exist or belongs to someone else." in response.content.decode()
    assert ApiToken.objects.filter(pk=theirs.pk).exists()


# Notifications --------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(client, company, other_company, clock):
    now = clock.now()
    mine = Notification.objects.create(
        user=company.user,
        subject="Notice published",
        body="A notice matches your interests.",
        url="/fr/notices/7/",
        created_at=now - timedelta(hours=1),
    )
    Notification.objects.create(user=other_company.user, subject="Not for you", body="-", created_at=now)
    client.force_login(company.user)

    response = client.get("/en/notifications/")
    content = response.content.decode()
    assert "Notice published" in content and "A notice matches your interests." in content
    assert 'href="/en/notices/7/"' in content  # the link in the reader's language
    assert "Not for you" not in content
    assert ">new</span>" in content
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert Notification.objects.filter(user=other_company.user, read_at__isnull=True).count() == 1

    assert ">new</span>" not in client.get("/en/notifications/").content.decode()


def test_notifications_need_a_login(client):
    response = client.get("/en/notifications/")
    assert response.status_code == 302
    assert response.url.startswith("/en/accounts/login/")
