"""Two-factor authentication: required of the procedure's staff, optional for companies, with
recovery codes; the password alone opens nothing else (pages, /admin/, the API's session)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client as DjangoClient
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from seei.accounts.twofactor import services
from seei.core.models import AuditEvent
from tests.conftest import PASSWORD, authenticator, authenticator_code

pytestmark = pytest.mark.django_db

SETUP, VERIFY, CODES = (
    "/en/accounts/two-factor/setup/",
    "/en/accounts/two-factor/",
    "/en/accounts/two-factor/recovery-codes/",
)


def password_only(membership) -> DjangoClient:
    """Django's own client, logged in through the login page with the password: no second factor."""
    client = DjangoClient()
    response = client.post("/en/accounts/login/", {"username": membership.user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def secret_of(page: str) -> str:
    return re.search(r'data-testid="totp-secret" dir="ltr">([A-Z2-7 ]+)<', page).group(1)


@pytest.mark.parametrize("role", ["buyer", "commission_member", "accountant", "administrator"])
def test_every_staff_role_is_sent_to_enrol_before_anything_else(request, role, buyer_org):
    from seei.accounts.models import Organisation
    from tests.conftest import make_member

    if role == "buyer":
        membership = request.getfixturevalue("buyer")
    else:
        kind = {"commission_member": "buyer", "accountant": "accountant_post", "administrator": "platform"}[
            role
        ]
        organisation = buyer_org if kind == "buyer" else Organisation.objects.create(kind=kind, name=role)
        membership = make_member(f"{role}@seei.example", organisation, role)
    client = password_only(membership)

    for path in ("/en/dashboard/", "/en/accounts/profile/", "/en/accounts/tokens/", "/en/audit/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == f"{SETUP}?next={path.replace('/', '%2F')}"
    assert client.get("/api/v1/buyer/notices").status_code == 401  # nor the API with the session


def test_admin_needs_the_second_factor_too(db):
    from seei.accounts.models import User

    User.objects.create_superuser("root@seei.example", PASSWORD)
    client = DjangoClient()
    client.post("/admin/login/", {"username": "root@seei.example", "password": PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302 and "/accounts/two-factor/setup/?next=%2Fadmin%2F" in response.url


def test_enrolment_shows_a_qr_code_and_the_secret_then_recovery_codes_once(buyer):
    client = password_only(buyer)
    page = client.get(f"{SETUP}?next=/en/buyer/notices/")
    content = page.content.decode()
    assert page.status_code == 200
    assert '<svg width="' in content and 'class="qr"' in content  # drawn here, inline
    assert not re.search(r"<script(?![^>]*\bsrc=)", content) and "<img" not in content  # no inline code
    device = TOTPDevice.objects.get(user=buyer.user, confirmed=False)
    assert secret_of(content).replace(" ", "") == services.secret_text(device).replace(" ", "")

    wrong = client.post(SETUP, {"code": "000000", "next": "/en/buyer/notices/"})
    assert wrong.status_code == 400 and "This code is not valid." in wrong.content.decode()
    assert not services.enrolled(buyer.user)

    # The app's code, computed from the secret as shown on the page.
    from base64 import b32decode

    from django_otp.oath import totp

    with time_machine.travel(timedelta(seconds=2)):  # a moment later: a wrong code slows the next try
        code = f"{totp(b32decode(secret_of(content).replace(' ', ''))):06d}"
        response = client.post(SETUP, {"code": code, "next": "/en/buyer/notices/"})
    assert response.status_code == 302 and response.url.startswith(CODES)
    shown = client.get(response.url)
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown.content.decode())
    assert len(codes) == 10 and sorted(codes) == sorted(StaticToken.objects.values_list("token", flat=True))
    again = client.get(CODES).content.decode()
    assert not any(code in again for code in codes) and "10 recovery codes left." in again

    assert client.get("/en/buyer/notices/").status_code == 200
    assert AuditEvent.objects.filter(action="account.second_factor_enrolled", actor=buyer.user).exists()


def test_an_enrolled_person_gives_a_code_after_the_password(buyer):
    authenticator(buyer.user)
    client = password_only(buyer)
    assert client.get("/en/buyer/notices/").url == f"{VERIFY}?next=%2Fen%2Fbuyer%2Fnotices%2F"
    assert client.get(SETUP).url.startswith(VERIFY)  # no new authenticator without the current one

    response = client.post(VERIFY, {"code": authenticator_code(buyer.user), "next": "/en/buyer/notices/"})
    assert response.status_code == 302 and response.url == "/en/buyer/notices/"
    assert client.get("/en/buyer/notices/").status_code == 200
    assert AuditEvent.objects.filter(action="account.second_factor_verified", actor=buyer.user).exists()


def test_a_wrong_code_is_refused_and_slows_the_next_tries(buyer):
    authenticator(buyer.user)
    client = password_only(buyer)
    wrong = client.post(VERIFY, {"code": "123456"})
    assert (
        wrong.status_code == 400 and "This code is not valid or was already used." in wrong.content.decode()
    )
    right_too_soon = client.post(VERIFY, {"code": authenticator_code(buyer.user)})
    assert right_too_soon.status_code == 400 and "Too many wrong codes" in right_too_soon.content.decode()
    assert client.get("/en/buyer/notices/").status_code == 302
    assert AuditEvent.objects.filter(action="account.second_factor_failed", actor=buyer.user).count() == 2


def test_a_recovery_code_works_once(buyer):
    authenticator(buyer.user)
    code = services.new_recovery_codes(buyer.user)[0]
    client = password_only(buyer)
    assert (
        client.post(VERIFY, {"code": code.upper(), "next": "/en/buyer/notices/"}).url == "/en/buyer/notices/"
    )
    assert client.get("/en/buyer/notices/").status_code == 200

    again = password_only(buyer)
    refused = again.post(VERIFY, {"code": code})
    assert refused.status_code == 400
    assert services.recovery_codes_left(buyer.user) == 9


def test_new_recovery_codes_replace_the_old_ones(client, buyer):
    old = services.new_recovery_codes(buyer.user)
    client.force_login(buyer.user)
    client.post(CODES)
    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)


def test_a_company_may_turn_it_on_and_off(company):
    client = password_only(company)
    assert client.get("/en/accounts/profile/").status_code == 200  # optional: no second factor asked

    authenticator(company.user)  # enrolled by choice: from now on the code is asked
    client = password_only(company)
    assert client.get("/en/accounts/profile/").url.startswith(VERIFY)
    client.post(VERIFY, {"code": authenticator_code(company.user)})
    response = client.post("/en/accounts/two-factor/off/")
    assert response.status_code == 302 and not services.enrolled(company.user)
    assert password_only(company).get("/en/accounts/profile/").status_code == 200


def test_a_required_second_factor_cannot_be_turned_off(client, buyer):
    client.force_login(buyer.user)
    assert client.post("/en/accounts/two-factor/off/").status_code == 403
    assert services.enrolled(buyer.user)


def test_the_password_change_keeps_the_second_factor(client, buyer):
    from tests.accounts.helpers import STRONG_PASSWORD

    client.force_login(buyer.user)
    client.post(
        "/en/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    assert client.get("/en/buyer/notices/").status_code == 200


# The demo ----------------------------------------------------------------------------------------


def test_the_demo_staff_log_in_with_the_published_secret_and_seei_totp(capsys):
    from seei.demo import people

    people.load()
    capsys.readouterr()
    call_command("totp", "acheteur@sante.gov.ma")
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[0-9]{6}", code)

    from seei.accounts.models import Membership

    buyer = Membership.objects.get(user__email="acheteur@sante.gov.ma")
    client = password_only_demo(buyer)
    assert client.post(VERIFY, {"code": code, "next": "/en/buyer/notices/"}).url == "/en/buyer/notices/"

    with pytest.raises(Exception, match="not a demo account"):
        call_command("totp", "contact@atlas-medical.ma")  # a company: no demo authenticator


def password_only_demo(membership) -> DjangoClient:
    from seei.demo import DEMO_PASSWORD

    client = DjangoClient()
    client.post("/en/accounts/login/", {"username": membership.user.email, "password": DEMO_PASSWORD})
    return client


def test_seei_totp_refuses_an_account_with_a_real_secret(buyer):
    authenticator(buyer.user)
    with pytest.raises(Exception, match="not a demo account"):
        call_command("totp", buyer.user.email)
