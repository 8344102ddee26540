"""Decisions recorded per member: the majority once a quorum voted; the president decides a tie."""

import pytest

from seei.applications import services, session
from seei.applications.models import Decision, Vote
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from tests.applications.conftest import application_of, past_deadline, vote_all
from tests.conftest import make_member


@pytest.fixture
def fourth(buyer_org):
    return make_member("quatrieme@sante.gov.ma", buyer_org, "commission_member")


@pytest.fixture
def fifth(buyer_org):
    return make_member("cinquieme@sante.gov.ma", buyer_org, "commission_member")


@pytest.fixture
def third(buyer_org):
    return make_member("troisieme@sante.gov.ma", buyer_org, "commission_member")


def open_with(buyer, notice, members, president, clock):
    services.name_commission(buyer, notice, members, president)
    for membership in members:
        session.declare_interests(membership, notice, conflict=False)
    past_deadline(clock, notice)
    services.open_examination(president, notice)


@pytest.fixture
def applied_three(published_tender, companies):
    from tests.applications.conftest import apply

    for membership in companies:
        apply(membership, published_tender)
    return published_tender


def vote(membership, application, outcome, reason=""):
    return services.decide(membership, application, [(application.tender.lots.get(), outcome, reason)])[0]


def test_the_majority_decides_once_a_quorum_voted(
    applied_three, buyer, president, member, third, clock, company
):
    tender = applied_three
    open_with(buyer, tender, [president, member, third], president, clock)
    application = application_of(company, tender)
    assert vote(member, application, "excluded", "Caution absente").decision is None  # 1 of 3
    decided = vote(third, application, "excluded", "Attestation périmée").decision  # 2 of 3: quorum
    assert decided.outcome == "excluded"
    assert decided.reason == "Caution absente\nAttestation périmée"
    # The president, outvoted, does not change the outcome; a member may change its vote.
    assert vote(president, application, "admitted").decision.outcome == "excluded"
    assert vote(third, application, "admitted").decision.outcome == "admitted"  # now 2 to 1
    assert Decision.objects.get().outcome == "admitted" and Decision.objects.get().reason == ""
    assert Vote.objects.filter(application=application).count() == 3
    event = AuditEvent.objects.filter(action="application.decided").latest("id")
    assert event.data["votes"] == {
        str(president.pk): "admitted",
        str(member.pk): "excluded",
        str(third.pk): "admitted",
    }
    assert AuditEvent.objects.filter(action="application.voted").count() == 4


def test_the_president_decides_a_tie(applied_three, buyer, president, member, third, fourth, clock, company):
    tender = applied_three
    open_with(buyer, tender, [president, member, third, fourth], president, clock)  # quorum: 3 of 4
    application = application_of(company, tender)
    vote(member, application, "excluded", "Références insuffisantes")
    vote(third, application, "excluded", "Références insuffisantes")
    assert not Decision.objects.exists()  # 2 votes of 4: no quorum
    vote(fourth, application, "admitted")
    assert Decision.objects.get(application=application).outcome == "excluded"  # 2 to 1
    assert vote(president, application, "admitted").decision.outcome == "admitted"  # 2 to 2: the president's
    assert Decision.objects.get(application=application).decided_by == president.user


def test_a_tie_without_the_president_waits_for_the_president(
    applied_three, buyer, president, member, third, fourth, fifth, clock, company
):
    tender = applied_three
    open_with(buyer, tender, [president, member, third, fourth, fifth], president, clock)  # quorum: 3 of 5
    application = application_of(company, tender)
    vote(member, application, "admitted")
    vote(third, application, "excluded", "Non conforme")
    vote(fourth, application, "admitted")
    assert Decision.objects.get(application=application).outcome == "admitted"  # 2 to 1
    assert vote(fifth, application, "excluded", "Non conforme").decision is None  # 2 to 2
    assert not Decision.objects.filter(application=application).exists()
    assert (application, tender.lots.get()) in services.missing_decisions(tender)
    assert vote(president, application, "excluded", "Dossier incomplet").decision.outcome == "excluded"
    assert Decision.objects.get(application=application).reason == "Non conforme\nDossier incomplet"


def test_close_is_refused_while_a_decision_lacks_its_quorum(
    applied_three, buyer, president, member, clock, companies
):
    tender = applied_three
    open_with(buyer, tender, [president, member], president, clock)
    for membership in companies:
        vote_all(application_of(membership, tender), [(tender.lots.get(), "admitted", "")])
    application = application_of(companies[0], tender)
    vote(member, application, "excluded", "Revu")  # 1 to 1: the president's admission stands
    assert Decision.objects.get(application=application).outcome == "admitted"
    vote(president, application, "excluded", "Revu aussi")
    assert Decision.objects.get(application=application).outcome == "excluded"
    services.close_examination(president, tender)
    with pytest.raises(TenderError) as error:
        vote(member, application, "admitted")
    assert "the decisions are final" in " ".join(error.value.messages)
