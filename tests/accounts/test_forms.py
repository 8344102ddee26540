import pytest
from django.utils import translation

from seei.accounts.forms import CompanyRegistrationForm, EmailAuthenticationForm, country_choices
from seei.accounts.models import User
from tests.accounts.helpers import registration_data
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_complete_registration_is_valid():
    form = CompanyRegistrationForm(registration_data())
    assert form.is_valid(), form.errors
    assert form.company_values()["ice"] == "003456789000045"
    assert form.person_values() == {
        "first_name": "Youssef",
        "last_name": "Alami",
        "email": "youssef@rif-fournitures.ma",
        "language": "ar",
    }


def test_ice_typed_in_groups_is_accepted_without_spaces():
    form = CompanyRegistrationForm(registration_data(ice="003 456 789 000 045"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["ice"] == "003456789000045"


@pytest.mark.parametrize("ice", ["12345", "0034567890000450", "00345678900004A"])
def test_ice_must_be_exactly_15_digits(ice):
    form = CompanyRegistrationForm(registration_data(ice=ice))
    assert not form.is_valid()
    assert form.errors["ice"] == ["The ICE is made of exactly 15 digits."]


def test_national_company_needs_an_ice():
    form = CompanyRegistrationForm(registration_data(ice=""))
    assert not form.is_valid()
    assert form.errors["ice"] == ["The ICE is required for a company registered in Morocco."]


def test_an_ice_already_registered_is_not_revealed(company):
    """The registration goes on (a pending company the administrator checks): nobody learns which
    ICE has an account."""
    form = CompanyRegistrationForm(registration_data(ice=company.organisation.ice))
    assert form.is_valid(), form.errors


def test_foreign_company_needs_its_national_registration_number():
    form = CompanyRegistrationForm(registration_data(country="FR", ice=""))
    assert not form.is_valid()
    assert form.errors["national_registration"] == [
        "The national registration number is required for a foreign company."
    ]
    assert "ice" not in form.errors


def test_foreign_company_with_registration_number_needs_no_ice():
    form = CompanyRegistrationForm(
        registration_data(country="FR", ice="", national_registration="RCS 552 100 554")
    )
    assert form.is_valid(), form.errors


def test_an_email_already_used_is_not_revealed(company):
    form = CompanyRegistrationForm(registration_data(email="Contact@Atlas-Medical.ma"))
    assert form.is_valid(), form.errors


def test_passwords_must_match_and_pass_django_validators():
    mismatch = CompanyRegistrationForm(registration_data(password2="Something-else-2026"))
    assert not mismatch.is_valid()
    assert mismatch.errors["password2"] == ["The two password fields didn’t match."]

    weak = CompanyRegistrationForm(registration_data(password1="12345678", password2="12345678"))
    assert not weak.is_valid()
    assert "This password is entirely numeric." in weak.errors["password2"]

    like_name = CompanyRegistrationForm(registration_data(password1="youssefalami", password2="youssefalami"))
    assert not like_name.is_valid()
    assert any("too similar" in message for message in like_name.errors["password2"])


def test_country_list_starts_with_morocco_and_speaks_the_visitor_language():
    with translation.override("fr"):
        choices = dict(country_choices())
        assert next(iter(choices)) == "MA"
        assert choices["DE"] == "Allemagne"
    with translation.override("ar"):
        assert dict(country_choices())["MA"] == "المغرب"


def test_unknown_country_is_refused():
    form = CompanyRegistrationForm(registration_data(country="XX"))
    assert not form.is_valid()
    assert "country" in form.errors


def test_login_form_explains_an_unverified_account_only_to_its_owner():
    user = User.objects.create_user("new@rif.ma", PASSWORD, is_active=False)

    owner = EmailAuthenticationForm(None, data={"username": "New@Rif.ma", "password": PASSWORD})
    assert not owner.is_valid()
    assert owner.non_field_errors().as_data()[0].code == "unverified"
    assert "Your email address is not verified yet" in owner.non_field_errors()[0]
    assert owner.unverified_user == user

    stranger = EmailAuthenticationForm(None, data={"username": "new@rif.ma", "password": "wrong-password"})
    assert not stranger.is_valid()
    assert stranger.non_field_errors().as_data()[0].code == "invalid_login"
    assert stranger.unverified_user is None


def test_login_form_refuses_a_disabled_account_clearly():
    User.objects.create_user("gone@rif.ma", PASSWORD, is_active=False, email_verified=True)
    form = EmailAuthenticationForm(None, data={"username": "gone@rif.ma", "password": PASSWORD})
    assert not form.is_valid()
    assert form.non_field_errors() == [
        "This account is disabled. Please contact the platform administration."
    ]
    assert form.unverified_user is None


def test_login_form_accepts_a_verified_account_by_email(company):
    form = EmailAuthenticationForm(None, data={"username": "CONTACT@atlas-medical.ma", "password": PASSWORD})
    assert form.is_valid(), form.errors
    assert form.get_user() == company.user
    assert form.fields["username"].label == "Email"
