"""Invitations by email: sent by a manager, accepted through the email's link by a new person or by the
owner of an existing account, expired, revoked, and the separation of duties kept."""

from datetime import timedelta

import pytest
from django.core import mail

from seei.accounts import invitations
from seei.accounts.models import MemberInvitation, Membership, User
from seei.core.models import AuditEvent
from tests.accounts.helpers import STRONG_PASSWORD, link_path
from tests.conftest import PASSWORD, Client, make_member

pytestmark = pytest.mark.django_db

PAGE = "/en/accounts/people/"


def logged_in(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Send an invitation through the people page (the email leaves when the transaction commits)."""

    def send(client, email, role="company_member", language="en", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                PAGE, {"action": "invite", "email": email, "role": role, "language": language, **extra}
            )

    return send


def test_a_new_colleague_joins_through_the_emails_link(company, clock, invite):
    response = invite(logged_in(company), "Sara@Atlas-Medical.ma", language="ar")
    assert response.status_code == 302
    invitation = MemberInvitation.objects.get()
    assert invitation.email == "sara@atlas-medical.ma" and invitation.invited_by == company.user
    assert AuditEvent.objects.filter(action="people.invited", organisation=company.organisation).exists()

    [email] = mail.outbox
    assert email.to == ["sara@atlas-medical.ma"]
    assert "Atlas Médical SARL" in email.subject and "تمت دعوتك" in email.subject  # in the chosen language
    path = link_path(email.body)
    assert path.startswith("/ar/accounts/invitation/")
    key = path.rstrip("/").rsplit("/", 1)[1]
    assert invitation.key_hash != key and key not in invitation.key_hash  # only the hash is kept

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
    response = visitor.post(
        path,
        {
            "first_name": "Sara",
            "last_name": "Bennani",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "language": "ar",
        },
    )
    assert response.status_code == 302 and response.url == "/ar/accounts/login/"
    user = User.objects.get(email="sara@atlas-medical.ma")
    assert user.email_verified and user.is_active and user.language == "ar"
    membership = Membership.objects.get(user=user)
    assert membership.organisation == company.organisation and membership.role == "company_member"
    assert not membership.is_manager
    assert AuditEvent.objects.filter(action="people.invitation_accepted", actor=user).exists()

    # Their own login; the link works once.
    assert Client().login(email="sara@atlas-medical.ma", password=STRONG_PASSWORD)
    assert Client().get(path).status_code == 400


def test_a_weak_password_is_refused_and_nothing_is_created(company, invite):
    invite(logged_in(company), "sara@atlas-medical.ma")
    path = link_path(mail.outbox[0].body)
    response = Client().post(
        path,
        {"first_name": "Sara", "last_name": "B", "password1": "123", "password2": "123", "language": "en"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="sara@atlas-medical.ma").exists()
    assert MemberInvitation.objects.get().accepted_at is None


def test_an_existing_account_accepts_after_logging_in(company, other_company, invite):
    invite(logged_in(company), other_company.user.email, language="ar")
    email = mail.outbox[0]
    assert "/en/accounts/invitation/" in email.body  # the invitee's own language, not the inviter's choice
    path = link_path(email.body).replace("/en/", "/en/", 1)

    page = Client().get(path)
    assert page.status_code == 200 and "log in, then accept" in page.content.decode()
    assert not Membership.objects.filter(user=other_company.user, organisation=company.organisation).exists()

    someone_else = make_member("x@atlas-medical.ma", company.organisation, "company_member")
    assert logged_in(someone_else).post(path).status_code == 403

    client = Client()
    assert client.login(email=other_company.user.email, password=PASSWORD)
    response = client.post(path)
    assert response.status_code == 302
    joined = Membership.objects.get(user=other_company.user, organisation=company.organisation)
    assert client.session["seei_membership"] == joined.pk  # acting for the new organisation at once
    assert client.post(path).status_code == 400  # used


def test_an_invitation_expires_after_seven_days(company, clock, invite):
    invite(logged_in(company), "sara@atlas-medical.ma")
    path = link_path(mail.outbox[0].body)
    clock.advance(timedelta(days=7, minutes=1))
    assert Client().get(path).status_code == 400
    response = Client().post(
        path,
        {
            "first_name": "Sara",
            "last_name": "B",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "language": "en",
        },
    )
    assert response.status_code == 400
    assert not User.objects.filter(email="sara@atlas-medical.ma").exists()
    assert "sara@atlas-medical.ma" not in logged_in(company).get(PAGE).content.decode()  # no longer pending


def test_a_revoked_invitation_no_longer_opens(company, other_company, invite):
    client = logged_in(company)
    invite(client, "sara@atlas-medical.ma")
    invitation = MemberInvitation.objects.get()
    assert "sara@atlas-medical.ma" in client.get(PAGE).content.decode()  # listed as pending
    # Another company's manager cannot revoke it.
    logged_in(other_company).post(PAGE, {"action": "revoke", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_at is None

    client.post(PAGE, {"action": "revoke", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="people.invitation_revoked", actor=company.user).exists()
    assert Client().get(link_path(mail.outbox[0].body)).status_code == 400


def test_a_manager_gives_only_the_roles_of_their_organisations_kind(company, invite):
    response = invite(logged_in(company), "x@example.ma", role="buyer_agent")
    assert response.status_code == 400
    response = invite(logged_in(company), "x@example.ma", role="administrator")
    assert response.status_code == 400
    assert not MemberInvitation.objects.exists() and not mail.outbox


def test_a_buyer_manager_invites_agents_and_commission_members_but_not_both_to_one_person(
    buyer, buyer_org, invite
):
    buyer_org.members_managed_locally = True
    buyer_org.save()
    Membership.objects.filter(pk=buyer.pk).update(is_manager=True)
    client = logged_in(buyer)
    agent = make_member("other.agent@sante.gov.ma", buyer_org, "buyer_agent")

    response = invite(client, agent.user.email, role="commission_member")
    assert (
        response.status_code == 400
        and "both a buyer agent and a commission member" in response.content.decode()
    )
    assert invite(client, "new.member@sante.gov.ma", role="commission_member").status_code == 302
    assert invite(client, "accountant@sante.gov.ma", role="accountant").status_code == 400

    # The person became an agent after being invited as a commission member: accepting is refused.
    invitation = MemberInvitation.objects.get()
    newcomer = make_member("new.member@sante.gov.ma", buyer_org, "buyer_agent")
    other = Client()
    assert other.login(email=newcomer.user.email, password=PASSWORD)
    response = other.post(link_path(mail.outbox[0].body))
    assert response.status_code == 400
    assert "both a buyer agent and a commission member" in response.content.decode()
    assert not Membership.objects.filter(user=newcomer.user, role="commission_member").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_administrator_invites_an_accountant_to_an_accountant_post(db, invite):
    from seei.accounts.models import Organisation

    platform = Organisation.objects.create(kind="platform", name="Trésorerie Générale")
    post = Organisation.objects.create(kind="accountant_post", name="Trésorerie de la Santé")
    administrator = make_member("admin@tresor.gov.ma", platform, "administrator")
    client = logged_in(administrator)
    response = invite(client, "comptable@tresor.gov.ma", role="accountant", organisation=post.pk)
    assert response.status_code == 302
    assert MemberInvitation.objects.get().organisation == post
    # A role of another kind of organisation is refused.
    assert invite(client, "x@tresor.gov.ma", role="company_member", organisation=post.pk).status_code == 400


def test_a_non_manager_and_an_anonymous_visitor_cannot_invite(company, invite):
    colleague = make_member("sara@atlas-medical.ma", company.organisation, "company_member")
    assert invite(logged_in(colleague), "x@example.ma").status_code == 403
    assert invite(Client(), "x@example.ma").status_code == 302
    assert not MemberInvitation.objects.exists()


def test_the_service_refuses_another_organisations_manager(company, other_company, invite):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        invitations.invite(other_company, company.organisation, "x@example.ma", "company_member", "en")
    assert not MemberInvitation.objects.exists()
