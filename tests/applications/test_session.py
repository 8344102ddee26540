"""The commission's session: its president alone opens and closes it, after a quorum of members
declared no conflict of interest; a member who declares a conflict takes no part in the decisions."""

import pytest
from django.urls import reverse

from seei.applications import services, session
from seei.applications.models import Decision, Examination, InterestDeclaration, Vote
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from tests.applications.conftest import application_of, past_deadline, seat_all, vote_all
from tests.conftest import Client, make_member

pytestmark = pytest.mark.urls("tests.applications.urls")


def messages(error) -> str:
    return " ".join(error.value.messages)


@pytest.fixture
def third_member(buyer_org):
    return make_member("troisieme@sante.gov.ma", buyer_org, "commission_member", first_name="Youssef")


@pytest.fixture
def three_member_tender(published_tender, buyer, president, member, third_member):
    services.name_commission(buyer, published_tender, [president, member, third_member], president)
    return published_tender


def test_only_the_president_opens_and_closes(applied, tender, president, member, clock, companies):
    seat_all(tender)
    past_deadline(clock, tender)
    with pytest.raises(TenderError) as error:
        services.open_examination(member, tender)
    assert "Only the president of the commission" in messages(error)
    assert not Examination.objects.exists()
    services.open_examination(president, tender)
    for membership in companies:
        vote_all(application_of(membership, tender), [(tender.lots.get(), "admitted", "")])
    with pytest.raises(TenderError) as error:
        services.close_examination(member, tender)
    assert "Only the president of the commission" in messages(error)
    assert Examination.objects.get().closed_at is None
    services.close_examination(president, tender)
    assert Examination.objects.get().closed_by == president.user


def test_the_session_opens_only_with_a_quorum_of_declarations(
    applied, three_member_tender, president, member, third_member, clock, settings
):
    tender = three_member_tender
    past_deadline(clock, tender)
    session.declare_interests(president, tender, conflict=False)
    with pytest.raises(TenderError) as error:
        services.open_examination(president, tender)
    assert "2 members must first declare that they have no conflict of interest (1 so far)" in messages(error)
    # A conflict does not count toward the quorum.
    session.declare_interests(third_member, tender, conflict=True, statement="Mon frère gère Atlas Médical")
    with pytest.raises(TenderError):
        services.open_examination(president, tender)
    assert not Examination.objects.exists()
    session.declare_interests(member, tender, conflict=False)
    services.open_examination(president, tender)  # 2 of 3: more than half
    event = AuditEvent.objects.get(action="application.examination_opened")
    assert sorted(event.data["present"]) == sorted([president.pk, member.pk])
    declared = AuditEvent.objects.filter(action="application.interest_declared").order_by("id")
    assert [e.data["conflict"] for e in declared] == [False, True, False]
    assert all(d.declared_at <= clock.now() for d in InterestDeclaration.objects.all())


def test_the_quorum_is_a_setting(applied, three_member_tender, president, member, clock, settings):
    settings.SEEI_COMMISSION_QUORUM_SHARE = 0.7  # more than 70 %: all three
    tender = three_member_tender
    past_deadline(clock, tender)
    session.declare_interests(president, tender, conflict=False)
    session.declare_interests(member, tender, conflict=False)
    with pytest.raises(TenderError) as error:
        services.open_examination(president, tender)
    assert "3 members must first declare" in messages(error)


def test_a_conflicted_member_takes_no_part(
    applied, three_member_tender, president, member, third_member, clock, company
):
    tender = three_member_tender
    with pytest.raises(TenderError) as error:
        session.declare_interests(third_member, tender, conflict=True, statement="  ")
    assert "what the conflict of interest is" in messages(error)
    session.declare_interests(third_member, tender, conflict=True, statement="Ancien associé")
    with pytest.raises(TenderError) as error:
        session.declare_interests(third_member, tender, conflict=False)
    assert "already made your declaration" in messages(error)
    session.declare_interests(president, tender, conflict=False)
    session.declare_interests(member, tender, conflict=False)
    past_deadline(clock, tender)
    services.open_examination(president, tender)
    application = application_of(company, tender)
    with pytest.raises(TenderError) as error:
        services.decide(third_member, application, [(tender.lots.get(), "excluded", "Non")])
    assert "You declared a conflict of interest" in messages(error)
    assert not Vote.objects.exists()
    with pytest.raises(TenderError) as error:
        session.declare_interests(member, tender, conflict=False)
    assert "declarations are made before the opening" in messages(error)


def test_a_member_who_did_not_declare_cannot_vote(
    applied, three_member_tender, president, member, clock, company
):
    tender = three_member_tender
    session.declare_interests(president, tender, conflict=False)
    session.declare_interests(member, tender, conflict=False)
    past_deadline(clock, tender)
    services.open_examination(president, tender)
    votes = services.decide(president, application_of(company, tender), [(tender.lots.get(), "admitted", "")])
    assert votes[0].decision is None  # 1 vote of 3: no quorum


def test_the_pages_show_the_declarations_and_hide_the_president_buttons(
    applied, tender, president, member, clock
):
    url = reverse("applications:examination", args=[tender.pk])
    colleague = Client()
    colleague.force_login(member.user)
    response = colleague.post(
        reverse("applications:declare", args=[tender.pk]), {"conflict": "yes", "statement": ""}, follow=True
    )
    assert "what the conflict of interest is" in response.content.decode()
    colleague.post(reverse("applications:declare", args=[tender.pk]), {"conflict": "no"})
    page = colleague.get(url).content.decode()
    assert 'data-testid="declaration"' in page and 'data-testid="declaration-form"' not in page
    past_deadline(clock, tender)
    response = colleague.post(reverse("applications:open", args=[tender.pk]), follow=True)
    assert "Only the president of the commission" in response.content.decode()
    assert not Examination.objects.exists() and not Decision.objects.exists()
