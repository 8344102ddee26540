"""A candidate whose documents deadline passes without documents lapses by itself: the worker's
periodic task fails it, as the commission would, and asks the next rank. Harmless when run again,
and when several workers run it at once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from seei.alerts.models import Notification
from seei.applications.models import Minutes
from seei.awards import services, tasks
from seei.awards.models import Award, AwardStep
from seei.core.models import AuditEvent
from tests.awards.conftest import all_documents, close_auction


def steps(award):
    return list(AwardStep.objects.filter(award=award).order_by("rank").values_list("rank", "status"))


def test_nothing_lapses_before_the_deadline(closed, clock):
    step = closed.award.current_step()
    clock.advance(step.documents_deadline - clock.now() - timedelta(seconds=1))  # just before
    assert services.lapse_overdue_candidates() == 0
    assert steps(closed.award) == [(1, "requested")]


def test_the_candidate_lapses_and_the_next_rank_is_asked(closed, clock):
    step = closed.award.current_step()
    clock.advance(step.documents_deadline - clock.now() + timedelta(seconds=1))
    assert tasks.lapse_overdue_candidates(timestamp=0) == 1  # the periodic task's own function
    award = closed.award
    assert steps(award) == [(1, "failed"), (2, "requested")]
    failed = AwardStep.objects.get(award=award, rank=1)
    # Stored in the notice's language (French), with no person behind the decision.
    assert failed.reason == "pièces non déposées avant la date limite" and failed.decided_by is None
    assert award.company == closed.ranked[1].organisation
    told = Notification.objects.get(user=closed.ranked[0].user, subject__contains="not retained")
    assert "documents not submitted before the deadline" in told.body  # in the reader's language
    assert Notification.objects.filter(user=closed.ranked[1].user, subject__startswith="Provisional").exists()
    event = AuditEvent.objects.get(action="award.candidate_lapsed", object_id=str(award.pk))
    assert event.actor is None and event.data["rank"] == 1
    assert AuditEvent.objects.get(action="award.candidate_failed").actor is None
    minutes = Minutes.objects.filter(lot=closed.lot).first()
    assert minutes is not None and minutes.generated_at > step.documents_deadline

    # Run again (a second worker, the next minute): nothing more happens.
    events = AuditEvent.objects.count()
    assert services.lapse_overdue_candidates() == 0
    assert services.lapse(failed.pk) is False
    assert steps(award) == [(1, "failed"), (2, "requested")] and AuditEvent.objects.count() == events


def test_a_candidate_that_submitted_does_not_lapse(closed, clock):
    services.submit_documents(closed.ranked[0], closed.award, all_documents(closed.award))
    clock.advance(timedelta(days=6))
    assert services.lapse_overdue_candidates() == 0
    assert steps(closed.award) == [(1, "submitted")]


def test_the_last_candidate_lapsing_makes_the_lot_unsuccessful(closed, clock):
    for _rank in (1, 2, 3):
        clock.advance(timedelta(days=6))
        assert services.lapse_overdue_candidates() == 1
    award = Award.objects.get(pk=closed.award.pk)
    assert award.status == "unsuccessful" and award.company is None
    assert steps(award) == [(1, "failed"), (2, "failed"), (3, "failed")]
    assert services.lapse_overdue_candidates() == 0


def test_the_task_is_declared_periodic():
    periodic = {task.periodic_id for task in tasks.app.periodic_registry.periodic_tasks.values()}
    assert "awards-lapse" in periodic


@pytest.mark.django_db(transaction=True)
def test_an_award_held_by_another_worker_is_skipped_then_lapsed(buyer, category, region, clock):
    """A row lock held elsewhere (another worker, a commission member): skipped, not waited for;
    the next run lapses it once."""
    closed_lot = close_auction(buyer, category, region, clock, reference="AO-AWARD-LAPSE")
    award = closed_lot.award
    clock.advance(timedelta(days=6))
    locked, release, outcome = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                Award.objects.select_for_update().get(pk=award.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        outcome.append(services.lapse_overdue_candidates())
    finally:
        release.set()
        holder.join()
    assert outcome == [0] and steps(award) == [(1, "requested")]
    assert services.lapse_overdue_candidates() == 1
    assert services.lapse_overdue_candidates() == 0
    assert steps(award) == [(1, "failed"), (2, "requested")]
