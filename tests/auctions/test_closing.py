"""Opening and closing by the task worker: re-checked under the lock, idempotent, safe with many workers."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from seei.alerts.models import Notification
from seei.auctions import events, selectors, services, signing, tasks
from seei.auctions.models import LedgerEntry, Room
from seei.auctions.verify import main as verify_main
from seei.auctions.verify import verify_ledger
from seei.core.models import AuditEvent
from seei.tenders.models import Lot
from tests.conftest import off_loop, run_after_close_jobs

from .conftest import bid, ledger_length, move_before_close, open_room, room_row

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_room_opens_at_its_opening_time(auction, clock, settings):
    settings.REDIS_URL = ""  # the in-process fan-out of the embedded default
    frames = []
    events.add_local_listener(lambda lot_id, frame: frames.append(json.loads(frame)))
    try:
        assert services.open_room(auction.lot.pk).status == "not_due"
        assert auction.room.status == "scheduled"
        open_room(auction, clock)
    finally:
        events._listeners.clear()

    assert auction.room.status == "open" and auction.room.opened_at is not None
    assert Lot.objects.get(pk=auction.lot.pk).status == "running"
    assert [frame["status"] for frame in frames] == ["open"]
    assert services.open_room(auction.lot.pk).status == "already"


def test_the_close_writes_the_ranking_and_the_provisional_winner(auction, clock):
    open_room(auction, clock)
    first, second, third = auction.bidders
    bid(auction, first, "590000")
    bid(auction, second, "585000")
    bid(auction, third, "588000")
    move_before_close(auction, clock, -2)

    outcome = services.close_room(auction.lot.pk)

    assert outcome.status == "closed"
    room = auction.room
    assert room.status == "closed" and room.closed_at is not None
    assert Lot.objects.get(pk=auction.lot.pk).status == "closed"
    close = LedgerEntry.objects.get(room=room, type="close")
    winner = auction.pseudonym(second)
    assert close.seq == 4 and close.data["winner"] == winner
    assert [(line["bidder"], line["amount"]) for line in close.data["ranking"]] == [
        (winner, "585000.00"),
        (auction.pseudonym(third), "588000.00"),
        (auction.pseudonym(first), "590000.00"),
    ]
    snapshot = bidding_snapshot(auction)
    assert snapshot["status"] == "closed" and snapshot["winner"] == winner
    assert [line["amount"] for line in snapshot["ranking"]] == ["585000.00", "588000.00", "590000.00"]
    report = verify_ledger(selectors.ledger_document(room), public_key=signing.private_key().public_key())
    assert report.ok, report.errors
    assert report.winner == winner
    assert AuditEvent.objects.filter(action="auction.closed", data__winner=winner).exists()


def bidding_snapshot(auction):
    from seei.auctions import bidding

    return bidding.snapshot_sync(auction.lot.pk)


def test_everyone_is_told_the_outcome_and_only_the_pseudonym(auction, clock):
    open_room(auction, clock)
    first, second, third = auction.bidders
    bid(auction, first, "590000")
    bid(auction, second, "585000")
    move_before_close(auction, clock, -1)
    services.close_room(auction.lot.pk)
    assert not Notification.objects.exists()  # told by the close's follow-up job, off the clock's lane
    assert run_after_close_jobs() == 1
    assert services.after_close(auction.lot.pk) is False  # run again (a retry, another worker): told once

    def body(member):
        return Notification.objects.get(user=member.user, subject__startswith="Auction closed").body

    assert "Your final rank: 2 of 2, with your last bid of 590,000.00\xa0MAD." in body(first)
    assert "Your final rank: 1 of 2, with your last bid of 585,000.00\xa0MAD." in body(second)
    assert "Your company placed no bid." in body(third)
    for staff in (auction.buyer, auction.commission):
        text = body(staff)
        assert f"Provisional winner: {auction.pseudonym(second)} at 585,000.00\xa0MAD" in text
        assert "2 bid(s) from 2 bidder(s)" in text
        assert second.organisation.name not in text
    assert not Notification.objects.filter(user__in=[m.user for m in auction.outsiders]).exists()


def test_a_lot_without_any_bid_is_unsuccessful(auction, clock):
    open_room(auction, clock)
    move_before_close(auction, clock, -1)

    assert services.close_room(auction.lot.pk).status == "closed"
    run_after_close_jobs()

    assert Lot.objects.get(pk=auction.lot.pk).status == "unsuccessful"
    assert LedgerEntry.objects.get(room__lot=auction.lot, type="close").data["winner"] is None
    assert (
        "without any bid: the lot is unsuccessful" in Notification.objects.get(user=auction.buyer.user).body
    )
    report = verify_ledger(
        selectors.ledger_document(auction.room), public_key=signing.private_key().public_key()
    )
    assert report.ok and report.winner is None


def test_the_close_is_rechecked_under_the_lock_and_rescheduled_when_it_moved(auction, clock):
    from procrastinate.contrib.django.models import ProcrastinateJob

    open_room(auction, clock)
    planned = auction.room.closes_at
    move_before_close(auction, clock, 30)
    bid(auction, auction.bidders[0], "590000")  # in the extension window: the close moves 180 s after it
    moved = auction.room.closes_at
    assert moved > planned
    clock.advance(planned - clock.now() + timedelta(seconds=1))  # the first closing time has passed
    length, before = ledger_length(auction.lot), room_row(auction.lot)
    # The worker picks the job planned for the first closing time.
    ProcrastinateJob.objects.filter(task_name="seei.auctions.close_room").update(status="doing")

    assert tasks.close_room(lot_id=auction.lot.pk) == "not_due"

    assert (ledger_length(auction.lot), room_row(auction.lot)) == (length, before)
    again = ProcrastinateJob.objects.get(task_name="seei.auctions.close_room", status="todo")
    assert again.scheduled_at == moved - timedelta(seconds=clock.offset_seconds())
    assert again.args == {"lot_id": auction.lot.pk}
    move_before_close(auction, clock, -1)
    assert tasks.close_room(lot_id=auction.lot.pk) == "closed"
    assert tasks.close_room(lot_id=auction.lot.pk) == "already"


def test_a_close_job_that_is_not_due_yet_does_not_wait_for_the_lot_s_lock(auction, clock):
    """Every lot extended at the peak sends its first close job back: it must not queue behind the
    last minute's bids for the lot's row (the close would then be late for the lots after it)."""
    import psycopg

    from seei.core import database

    open_room(auction, clock)
    move_before_close(auction, clock, 30)
    bid(auction, auction.bidders[0], "590000")  # the close moves
    clock.advance(timedelta(seconds=31))  # the first closing time has passed, not the new one
    with psycopg.connect(database.url()) as holder:  # a bid's transaction holding the lot's row
        holder.execute("SELECT 1 FROM auctions_room WHERE lot_id = %s FOR UPDATE", [auction.lot.pk])
        answers = []
        job = threading.Thread(target=lambda: answers.append(tasks.close_room(lot_id=auction.lot.pk)))
        job.start()
        job.join(10)  # waiting for the row, it would still wait here
        assert answers == ["not_due"]
    job.join()
    move_before_close(auction, clock, -1)
    assert tasks.close_room(lot_id=auction.lot.pk) == "closed"


def test_two_workers_racing_close_the_lot_once(auction, clock):
    open_room(auction, clock)
    bid(auction, auction.bidders[0], "590000")
    move_before_close(auction, clock, -1)
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(services.close_room(auction.lot.pk).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["already", "closed"]
    assert LedgerEntry.objects.filter(room__lot=auction.lot, type="close").count() == 1
    assert run_after_close_jobs() == 1  # one close, one follow-up
    assert (
        Notification.objects.filter(
            user=auction.bidders[0].user, subject__startswith="Auction closed"
        ).count()
        == 1
    )
    assert verify_ledger(
        selectors.ledger_document(auction.room), public_key=signing.private_key().public_key()
    ).ok


def test_the_sweep_opens_and_closes_what_is_due(auction, clock):
    assert services.sweep() == {"opened": 0, "closed": 0}
    open_room(auction, clock, after=timedelta(0))
    Room.objects.filter(pk=auction.room.pk).update(status="scheduled")  # as if the opening job was lost
    assert services.sweep() == {"opened": 1, "closed": 0}
    move_before_close(auction, clock, -1)

    assert tasks.sweep(timestamp=0) == {"opened": 0, "closed": 1}
    assert auction.room.status == "closed"


def test_the_worker_runs_the_jobs(auction, clock):
    """``seei worker`` runs these jobs: the same worker, run here until the queue is empty."""
    from procrastinate.contrib.django import app
    from procrastinate.contrib.django.models import ProcrastinateJob

    open_room(auction, clock, after=timedelta(0))
    Room.objects.filter(pk=auction.room.pk).update(status="scheduled")
    bid(auction, auction.bidders[0], "590000")
    move_before_close(auction, clock, -1)
    # Their time has come on the test clock: make them due on the wall clock too.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE queue_name = 'auctions'")

    with app.replace_connector(app.connector.get_worker_connector()) as worker_app:
        off_loop(  # its asyncio.run, whatever ran in this thread before
            lambda: worker_app.run_worker(
                queues=["auctions", tasks.AFTER_CLOSE_QUEUE],
                wait=False,
                install_signal_handlers=False,
                listen_notify=False,
                delete_jobs="never",
            )
        )

    # Every job of the queue is this test's (another test's never reach it), the sweep aside.
    jobs = ProcrastinateJob.objects.filter(queue_name="auctions").exclude(task_name="seei.auctions.sweep")
    assert list(jobs.order_by("task_name").values_list("task_name", "args", "status")) == [
        ("seei.auctions.close_room", {"lot_id": auction.lot.pk}, "succeeded"),
        ("seei.auctions.open_room", {"lot_id": auction.lot.pk}, "succeeded"),
    ]
    follow_up = ProcrastinateJob.objects.get(queue_name=tasks.AFTER_CLOSE_QUEUE)
    assert (follow_up.args, follow_up.status) == ({"lot_id": auction.lot.pk}, "succeeded")
    assert auction.room.status == "closed"
    assert Notification.objects.filter(
        user=auction.bidders[0].user, subject__startswith="Auction closed"
    ).exists()
    assert Lot.objects.get(pk=auction.lot.pk).status == "closed"


def key_file(tmp_path):
    path = tmp_path / "seei.pem"
    path.write_text(signing.public_key_pem())
    return path


def test_seei_verify_accepts_the_closed_ledger_and_rejects_an_altered_one(
    auction, clock, tmp_path, capsys, live_server
):
    """As the replay page shows it: the key fetched from the platform's stable address."""
    open_room(auction, clock)
    bid(auction, auction.bidders[0], "590000")
    bid(auction, auction.bidders[1], "580000")
    move_before_close(auction, clock, -1)
    services.close_room(auction.lot.pk)
    document = selectors.public_ledger(auction.lot.pk)
    honest = tmp_path / "ledger.json"
    honest.write_text(json.dumps(document), encoding="utf-8")
    document["entries"][2]["data"]["amount"] = "570000.00"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(document), encoding="utf-8")

    assert verify_main([str(honest), "--site", live_server.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"Platform key: SHA-256 fingerprint {signing.fingerprint()} "
        f"(from {live_server.url}/.well-known/seei/ledger-key.pem)"
    )
    assert out[1].startswith("OK: 4 entries, chain intact, signatures valid, winner Bidder ")
    assert verify_main([str(altered), "--site", live_server.url]) == 1
    assert "entry 2: hash mismatch (amount or another field was altered)" in capsys.readouterr().out
    # A ledger saved without its proof of inclusion: --site fetches the proof from the platform too.
    bare = tmp_path / "bare.json"
    bare.write_text(
        json.dumps({k: v for k, v in selectors.public_ledger(auction.lot.pk).items() if k != "transparency"})
    )
    assert verify_main([str(bare), "--public-key", str(key_file(tmp_path))]) == 1
    assert "carries no proof that its final entry is in the log" in capsys.readouterr().out
    assert verify_main([str(bare), "--site", live_server.url]) == 0
    assert "In the transparency log: leaf 0 of 1" in capsys.readouterr().out


def test_the_ledger_stays_private_until_the_close(auction, clock):
    from django.core.exceptions import PermissionDenied

    open_room(auction, clock)
    with pytest.raises(PermissionDenied):
        selectors.public_ledger(auction.lot.pk)
    # The signatures stored with the entries are the ones published.
    move_before_close(auction, clock, -1)
    services.close_room(auction.lot.pk)
    document = selectors.public_ledger(auction.lot.pk)
    stored = dict(LedgerEntry.objects.filter(room__lot=auction.lot).values_list("seq", "signature"))
    assert document["signatures"] == {str(seq): signature for seq, signature in stored.items()}
