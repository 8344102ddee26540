"""After the close, each member approves the admission minutes (or records a reservation): recorded
with its time, printed on the minutes written again, their new hash recorded."""

import hashlib

import pytest
from django.urls import reverse

from seei.applications import services, session
from seei.applications.models import Minutes, MinutesApproval
from seei.core.models import AuditEvent
from seei.tenders.errors import TenderError
from tests.applications.conftest import application_of, vote_all
from tests.applications.test_minutes import arabic_tender, minutes_text  # noqa: F401 (a fixture)
from tests.conftest import Client

pytestmark = pytest.mark.urls("tests.applications.urls")


@pytest.fixture
def closed_session(opened, tender, president, companies):
    for membership in companies:
        vote_all(application_of(membership, tender), [(tender.lots.get(), "admitted", "")])
    return services.close_examination(president, tender)


def test_approvals_are_printed_on_the_minutes(closed_session, tender, president, member):
    first = minutes_text(closed_session)
    assert "Approbation du procès-verbal" in first and "Aucune approbation pour l'instant." in first
    assert "Aucun conflit" in first  # the declarations, in the commission's table
    session.approve_minutes(president, tender)
    session.approve_minutes(member, tender, "Le lot 1 aurait mérité un délai plus long")
    latest = tender.minutes.filter(kind="admission").first()
    assert latest.pk != closed_session.pk and Minutes.objects.filter(tender=tender).count() == 3
    text = minutes_text(latest)
    assert "Karim President" in text and "Salma Membre" in text
    assert "Le lot 1 aurait mérité un délai plus long" in text and "Aucune approbation" not in text
    with latest.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == latest.sha256
    event = AuditEvent.objects.filter(action="application.minutes_approved").latest("id")
    assert event.data["sha256"] == latest.sha256 and event.data["approvals"] == 2
    assert event.data["replaces"] != latest.sha256
    # The download serves the latest minutes.
    client = Client()
    client.force_login(president.user)
    response = client.get(reverse("applications:minutes", args=[tender.pk]))
    assert hashlib.sha256(response.content).hexdigest() == latest.sha256


def test_approval_only_after_the_close_and_once(opened, tender, president, companies):
    with pytest.raises(TenderError) as error:
        session.approve_minutes(president, tender)
    assert "once the session is closed" in " ".join(error.value.messages)
    for membership in companies:
        vote_all(application_of(membership, tender), [(tender.lots.get(), "admitted", "")])
    services.close_examination(president, tender)
    session.approve_minutes(president, tender)
    with pytest.raises(TenderError) as error:
        session.approve_minutes(president, tender)
    assert "already approved" in " ".join(error.value.messages)
    assert MinutesApproval.objects.count() == 1


def test_an_outsider_cannot_approve(closed_session, tender, outsider_member, other_tender):
    with pytest.raises(TenderError):
        session.approve_minutes(outsider_member, tender)
    assert not MinutesApproval.objects.exists()


def test_arabic_minutes_show_the_approvals(arabic_tender, companies, president, member, clock):  # noqa: F811
    from seei.applications import services as applications
    from tests.applications.conftest import apply, past_deadline, seat_all

    for membership in companies:
        apply(membership, arabic_tender)
    seat_all(arabic_tender)
    past_deadline(clock, arabic_tender)
    applications.open_examination(president, arabic_tender)
    for membership in companies:
        vote_all(application_of(membership, arabic_tender), [(arabic_tender.lots.get(), "admitted", "")])
    applications.close_examination(president, arabic_tender)
    session.approve_minutes(member, arabic_tender, "تحفظ على الأجل")
    text = minutes_text(arabic_tender.minutes.filter(kind="admission").first())
    assert "المصادقة على المحضر" in text and "تحفظ على الأجل" in text


def test_the_page_approves(closed_session, tender, member):
    client = Client()
    client.force_login(member.user)
    url = reverse("applications:examination", args=[tender.pk])
    assert 'data-testid="approval-form"' in client.get(url).content.decode()
    client.post(reverse("applications:approve", args=[tender.pk]), {"reservation": ""})
    page = client.get(url).content.decode()
    assert 'data-testid="approval"' in page and 'data-testid="approval-form"' not in page
