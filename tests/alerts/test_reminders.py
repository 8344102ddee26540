"""Reminders the day before and the hour before a room opens: once each, to each invited company's
people in their language, sent by the task worker, late if need be, never after the opening."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django.utils import translation

from seei.accounts.models import User
from seei.alerts import reminders, tasks
from seei.alerts.models import Notification, Reminder
from seei.alerts.services import LocalTime
from seei.auctions import services as auction_services
from seei.auctions.models import Room
from seei.tenders.models import Lot, Tender
from tests.auctions.conftest import make_auction
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)  # the emails leave when the job commits


@pytest.fixture
def auction(buyer, category, region, clock):
    """Two invited companies (one read in French, one in Arabic, plus an English colleague of the
    first) and one company that is not invited."""
    auction = make_auction(buyer, category, region, clock, bidders=2, outsiders=1, reference="AO-RAPPEL-001")
    french, arabic = auction.bidders
    User.objects.filter(pk=french.user_id).update(language="fr")
    User.objects.filter(pk=arabic.user_id).update(language="ar")
    auction.colleague = make_member("colleague@ao-rappel-001.ma", french.organisation, "company_member")
    return auction


def invited_people(auction):
    """The French reader, their English colleague and the Arabic reader, as stored."""
    members = [auction.bidders[0], auction.colleague, auction.bidders[1]]
    return [User.objects.get(pk=member.user_id) for member in members]


def move_before_opening(auction, clock, before: timedelta):
    clock.advance(auction.room.opens_at - before - clock.now())


def reminders_of(user):
    return list(Notification.objects.filter(user=user, url__contains="/auctions/lots/").order_by("id"))


def expected_text(auction, kind, language):
    lot = auction.lot
    with translation.override(language):
        values = {
            "number": lot.number,
            "lot": str(lot.title),
            "reference": lot.tender.reference,
            "opens_at": str(LocalTime(auction.room.opens_at)),
        }
        return str(reminders.SUBJECTS[kind]).format(**values), str(reminders.BODY).format(**values)


def run_job(auction, kind):
    return tasks.send_reminder(lot_id=auction.lot.pk, kind=kind)


def test_prepare_room_schedules_the_two_reminders(auction, clock):
    from procrastinate.contrib.django.models import ProcrastinateJob

    reminding = ProcrastinateJob.objects.filter(queue_name="alerts", task_name="seei.alerts.send_reminder")
    jobs = {job.args["kind"]: job for job in reminding}
    lot_id, offset = auction.lot.pk, timedelta(seconds=clock.offset_seconds())

    assert set(jobs) == {"day", "hour"}
    assert all(job.task_name == "seei.alerts.send_reminder" for job in jobs.values())
    assert jobs["day"].args == {"lot_id": lot_id, "kind": "day"}
    assert jobs["day"].queueing_lock == f"alerts.reminder.day.{lot_id}"
    assert jobs["hour"].queueing_lock == f"alerts.reminder.hour.{lot_id}"
    # On the wall clock: the reminder's moment minus the test clock's offset.
    assert jobs["day"].scheduled_at == auction.room.opens_at - timedelta(hours=24) - offset
    assert jobs["hour"].scheduled_at == auction.room.opens_at - timedelta(hours=1) - offset


def test_each_invited_person_gets_one_day_and_one_hour_reminder_in_their_language(auction, clock):
    assert run_job(auction, "day") == "not_due"  # a job run too early sends nothing
    assert Reminder.objects.count() == 0

    move_before_opening(auction, clock, timedelta(hours=24))
    assert run_job(auction, "day") == "sent"
    assert run_job(auction, "day") == "already"  # a retried job, a second worker
    assert tasks.send_missed_reminders(timestamp=0) == 0  # the sweep after the job
    move_before_opening(auction, clock, timedelta(hours=1))
    assert run_job(auction, "hour") == "sent"
    assert tasks.send_missed_reminders(timestamp=0) == 0
    assert run_job(auction, "hour") == "already"
    assert run_job(auction, "day") == "already"  # the day's job, late, sends nothing more

    french, colleague, arabic = invited_people(auction)
    for user in (french, colleague, arabic):
        notifications = reminders_of(user)
        assert [(n.subject, n.body) for n in notifications] == [
            expected_text(auction, "day", user.language),
            expected_text(auction, "hour", user.language),
        ]
        assert all(n.url == f"/{user.language}/auctions/lots/{auction.lot.pk}/" for n in notifications)
        emails = [message for message in mail.outbox if message.to == [user.email]]
        assert [message.subject for message in emails] == [n.subject for n in notifications]
        assert all(
            message.body.endswith(f"/{user.language}/auctions/lots/{auction.lot.pk}/") for message in emails
        )
    assert len(mail.outbox) == 6
    # Each in their language: the opening time as the site writes it, the lot's title when translated.
    with translation.override("fr"):
        assert str(LocalTime(auction.room.opens_at)) in reminders_of(french)[0].body
        assert "Lot 1 : fauteuils roulants" in reminders_of(french)[0].body
    with translation.override("ar"):
        assert str(LocalTime(auction.room.opens_at)) in reminders_of(arabic)[0].body
    assert reminders_of(french)[0].body != reminders_of(arabic)[0].body != reminders_of(colleague)[0].body
    # The company not invited gets nothing.
    assert reminders_of(auction.outsiders[0].user) == []
    assert set(Reminder.objects.values_list("company_id", "kind")) == {
        (company.organisation_id, kind) for company in auction.bidders for kind in ("day", "hour")
    }


def test_the_sweep_sends_a_missed_reminder_late_once(auction, clock):
    move_before_opening(auction, clock, timedelta(hours=10))  # the day's job was lost

    assert tasks.send_missed_reminders(timestamp=0) == 2  # both invited companies
    assert tasks.send_missed_reminders(timestamp=0) == 0
    assert run_job(auction, "day") == "already"

    for user in invited_people(auction):
        assert [n.subject for n in reminders_of(user)] == [expected_text(auction, "day", user.language)[0]]
    assert len(mail.outbox) == 3


def test_a_reminder_noticed_in_the_last_hour_is_sent_once_not_twice(auction, clock):
    move_before_opening(auction, clock, timedelta(minutes=30))  # both jobs lost

    assert run_job(auction, "day") == "sent"  # whatever job runs sends what is due: the hour's

    assert set(Reminder.objects.values_list("kind", flat=True)) == {"hour"}
    for user in invited_people(auction):
        assert [n.subject for n in reminders_of(user)] == [expected_text(auction, "hour", user.language)[0]]
    assert run_job(auction, "hour") == "already"
    assert tasks.send_missed_reminders(timestamp=0) == 0


def test_a_moved_opening_reschedules_the_reminder(auction, clock):
    from procrastinate.contrib.django.models import ProcrastinateJob

    planned = auction.room.opens_at
    moved = planned + timedelta(days=2)
    move_before_opening(auction, clock, timedelta(hours=23))
    Room.objects.filter(pk=auction.room.pk).update(opens_at=moved, closes_at=moved + timedelta(minutes=30))
    Lot.objects.filter(pk=auction.lot.pk).update(opens_at=moved)
    # The worker picks the job planned for the first opening.
    ProcrastinateJob.objects.filter(args__kind="day").update(status="doing")

    assert run_job(auction, "day") == "not_due"
    assert tasks.send_missed_reminders(timestamp=0) == 0

    assert Reminder.objects.count() == 0 and reminders_of(auction.bidders[0].user) == []
    again = ProcrastinateJob.objects.get(args__kind="day", status="todo")
    assert again.scheduled_at == moved - timedelta(hours=24) - timedelta(seconds=clock.offset_seconds())
    move_before_opening(auction, clock, timedelta(hours=24))
    assert run_job(auction, "day") == "sent"
    with translation.override("fr"):
        assert str(LocalTime(moved)) in reminders_of(auction.bidders[0].user)[0].body
    assert Reminder.objects.filter(kind="day", opens_at=moved).count() == 2


def test_nothing_is_sent_once_the_room_opened(auction, clock):
    move_before_opening(auction, clock, timedelta(0))
    assert run_job(auction, "hour") == "opened"  # its time has come, though not opened yet
    clock.advance(timedelta(seconds=1))
    assert auction_services.open_room(auction.lot.pk).done

    assert run_job(auction, "day") == "opened"
    assert run_job(auction, "hour") == "opened"
    assert tasks.send_missed_reminders(timestamp=0) == 0

    assert Reminder.objects.count() == 0 and len(mail.outbox) == 0
    assert all(reminders_of(user) == [] for user in invited_people(auction))


def test_a_practice_room_never_reminds(auction, clock):
    from procrastinate.contrib.django.models import ProcrastinateJob

    Tender.objects.filter(pk=auction.lot.tender_id).update(practice=True)
    reminding = ProcrastinateJob.objects.filter(task_name="seei.alerts.send_reminder")
    reminding.delete()
    tasks.schedule_reminders(Room.objects.select_related("lot__tender").get(lot=auction.lot))
    assert not reminding.exists()

    move_before_opening(auction, clock, timedelta(minutes=30))
    assert run_job(auction, "hour") == "practice"
    assert tasks.send_missed_reminders(timestamp=0) == 0
    assert Reminder.objects.count() == 0 and len(mail.outbox) == 0


def test_two_workers_racing_send_the_reminder_once(auction, clock):
    move_before_opening(auction, clock, timedelta(hours=1))
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(reminders.send_due(auction.lot.pk).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already", "sent"]
    assert all(len(reminders_of(user)) == 1 for user in invited_people(auction))
    assert len(mail.outbox) == 3
