import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from seei.accounts import services
from seei.accounts.api_auth import authenticate_token
from seei.accounts.models import ApiToken, Membership, Organisation, User
from seei.accounts.tokens import email_verification_token
from seei.core.models import AuditEvent
from tests.accounts.helpers import STRONG_PASSWORD, link_path, registration_data

pytestmark = pytest.mark.django_db

COMPANY = {
    "name": "Rif Fournitures SARL",
    "country": "MA",
    "ice": "003456789000045",
    "rc": "RC-77120",
    "national_registration": "",
    "city": "Tanger",
}
PERSON = {
    "first_name": "Youssef",
    "last_name": "Alami",
    "email": "youssef@rif-fournitures.ma",
    "language": "en",
}


def counts():
    return Organisation.objects.count(), User.objects.count(), Membership.objects.count()


def test_register_company_creates_all_three_and_sends_the_link_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership = services.register_company(company=COMPANY, person=PERSON, password=STRONG_PASSWORD)
        assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert membership.role == "company_member"
    assert membership.organisation.kind == "company"
    assert membership.organisation.ice == "003456789000045"
    user = membership.user
    assert (user.is_active, user.email_verified, user.language) == (False, False, "en")
    assert user.check_password(STRONG_PASSWORD)
    assert AuditEvent.objects.filter(
        action="company.registered", object_id=str(membership.organisation.pk)
    ).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["youssef@rif-fournitures.ma"]
    assert link_path(mail.outbox[0].body).startswith("/en/accounts/verify/")


def test_foreign_company_is_stored_with_its_country_and_number():
    membership = services.register_company(
        company={**COMPANY, "country": "FR", "ice": "", "national_registration": "RCS 552 100 554"},
        person=PERSON,
        password=STRONG_PASSWORD,
    )
    organisation = membership.organisation
    assert (organisation.ice, organisation.country, organisation.is_foreign) == (None, "FR", True)
    assert organisation.national_registration == "RCS 552 100 554"


def test_refused_registration_changes_nothing(django_capture_on_commit_callbacks):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        services.register_company(
            company={**COMPANY, "country": "DE", "ice": ""}, person=PERSON, password=STRONG_PASSWORD
        )
    assert refused.value.message_dict == {
        "national_registration": ["The national registration number is required for a foreign company."]
    }
    assert counts() == before
    assert mail.outbox == []


def test_a_registered_email_creates_nothing_and_tells_its_owner(company, django_capture_on_commit_callbacks):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.register_company(
            company=COMPANY, person={**PERSON, "email": "Contact@Atlas-Medical.ma"}, password=STRONG_PASSWORD
        )
    assert outcome is None
    assert counts() == before
    assert [message.to for message in mail.outbox] == [[company.user.email]]
    assert "No new account was made" in mail.outbox[0].body
    assert link_path(mail.outbox[0].body) == "/en/accounts/login/"


def test_a_registration_racing_another_for_the_same_email_is_rolled_back_and_told_to_the_owner(
    company, monkeypatch, django_capture_on_commit_callbacks
):
    """Both registrations passed the checks; the database's unique email decides."""
    answers = iter([False])
    monkeypatch.setattr(services, "_email_taken", lambda email: next(answers, True))
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.register_company(
            company=COMPANY, person={**PERSON, "email": company.user.email}, password=STRONG_PASSWORD
        )
    assert outcome is None
    assert counts() == before  # the organisation created first is gone too
    assert [message.to for message in mail.outbox] == [[company.user.email]]  # no verification link


def test_a_self_registered_company_is_pending_and_its_ice_cannot_be_squatted(company, buyer):
    """The second registrant of an ICE gets a pending company like anyone; only the administrator's
    check decides, and an ICE already approved cannot be approved again."""
    admin = buyer.user
    squatter = services.register_company(
        company={**COMPANY, "ice": company.organisation.ice}, person=PERSON, password=STRONG_PASSWORD
    ).organisation
    assert squatter.pending and not company.organisation.pending
    assert Organisation.objects.filter(ice=company.organisation.ice).count() == 2

    with pytest.raises(ValidationError) as refused:
        services.approve_company(squatter, admin)
    assert "another company is already approved with the ICE 001234567000089" in refused.value.messages[0]
    squatter.refresh_from_db()
    assert squatter.pending
    assert not AuditEvent.objects.filter(action="company.approved").exists()

    newcomer = services.register_company(
        company=COMPANY, person={**PERSON, "email": "b@rif.ma"}, password=STRONG_PASSWORD
    ).organisation
    services.approve_company(newcomer, admin)
    newcomer.refresh_from_db()
    assert not newcomer.pending
    event = AuditEvent.objects.get(action="company.approved")
    assert (event.object_id, event.actor, event.data["ice"]) == (str(newcomer.pk), admin, COMPANY["ice"])


def test_two_registrants_of_one_ice_approved_at_the_same_moment_get_a_clear_refusal(buyer):
    """Another administrator approves the other registrant while this approval is under way: the
    database's constraint refuses it, and the administrator reads why (no error page)."""
    from django.db.models.signals import pre_save

    first, second = (
        services.register_company(
            company=COMPANY, person={**PERSON, "email": email}, password=STRONG_PASSWORD
        ).organisation
        for email in ("one@rif.ma", "two@rif.ma")
    )

    def meanwhile(sender, instance, **kwargs):
        if instance.pk == second.pk:
            Organisation.objects.filter(pk=first.pk).update(pending=False)

    pre_save.connect(meanwhile, sender=Organisation)
    try:
        with pytest.raises(ValidationError) as refused:
            services.approve_company(second, buyer.user)
    finally:
        pre_save.disconnect(meanwhile, sender=Organisation)
    assert "another company is already approved with the ICE" in refused.value.messages[0]
    second.refresh_from_db()
    assert second.pending


def test_confirm_email_activates_once():
    membership = services.register_company(company=COMPANY, person=PERSON, password=STRONG_PASSWORD)
    user = membership.user
    path = services.verification_link(user).split("/verify/")[1].strip("/")
    uidb64, token = path.split("/")

    assert services.confirm_email(uidb64, token + "x") is None
    assert services.confirm_email("Zm9v", token) is None  # not a user id

    confirmed = services.confirm_email(uidb64, token)
    assert confirmed == user
    user.refresh_from_db()
    assert user.is_active and user.email_verified
    assert services.confirm_email(uidb64, token) is None  # used


def test_verification_link_expires(clock):
    membership = services.register_company(company=COMPANY, person=PERSON, password=STRONG_PASSWORD)
    token = email_verification_token.make_token(membership.user)
    clock.advance(timedelta(days=2))
    assert email_verification_token.check_token(membership.user, token)
    clock.advance(timedelta(days=2))
    assert not email_verification_token.check_token(membership.user, token)


def test_api_token_is_stored_as_a_hash_and_authenticates_its_membership(company, clock):
    token, key = services.create_api_token(company, "  ERP  ")
    assert token.name == "ERP"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    assert key not in {token.key_hash, token.name}
    assert token.last_used_at is None

    assert authenticate_token(key) == company
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert authenticate_token("") is None
    assert authenticate_token(key + "x") is None
    assert authenticate_token(key[:-1]) is None


def test_api_token_of_a_disabled_person_does_not_work(company):
    _token, key = services.create_api_token(company, "ERP")
    User.objects.filter(pk=company.user_id).update(is_active=False)
    assert authenticate_token(key) is None


def test_api_token_needs_a_name(company):
    with pytest.raises(ValidationError) as refused:
        services.create_api_token(company, "   ")
    assert refused.value.message_dict == {"name": ["Give the token a name."]}
    assert not ApiToken.objects.exists()


def test_revoking_a_token_of_another_membership_is_refused(company, other_company):
    theirs, key = services.create_api_token(other_company, "Theirs")
    with pytest.raises(ValidationError, match="does not exist or belongs to someone else"):
        services.revoke_api_token(company, theirs.pk)
    with pytest.raises(ValidationError):
        services.revoke_api_token(company, "not-a-number")
    assert authenticate_token(key) == other_company

    services.revoke_api_token(other_company, theirs.pk)
    assert authenticate_token(key) is None


def test_registration_form_data_fits_the_service():
    """The form's values go straight to the service (guards the field names both use)."""
    from seei.accounts.forms import CompanyRegistrationForm

    form = CompanyRegistrationForm(registration_data())
    assert form.is_valid(), form.errors
    membership = services.register_company(
        company=form.company_values(), person=form.person_values(), password=form.cleaned_data["password1"]
    )
    assert membership.organisation.name == "Rif Fournitures SARL"
    assert membership.user.language == "ar"
