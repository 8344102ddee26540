"""The closing services: what a close publishes, and the outage settled once for all the lots a sweep closes."""

from datetime import timedelta

import pytest

from seei.auctions import services, watchdog
from seei.ocds import hooks as ocds
from tests.conftest import run_after_close_jobs

from .conftest import bid, make_auction, open_room

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_lots(buyer, category, region, clock):
    """Two auctions opened at the same moment, the first one with a bid."""
    won = make_auction(buyer, category, region, clock, reference="AO-CLOSE-001", bidders=2, outsiders=0)
    empty = make_auction(buyer, category, region, clock, reference="AO-CLOSE-002", bidders=2, outsiders=0)
    open_room(won, clock)
    services.open_room(empty.lot.pk)
    assert bid(won, won.bidders[0], "590000").accepted
    closes_at = max(won.room.closes_at, empty.room.closes_at)
    clock.advance(closes_at - services.db_now() + timedelta(seconds=1))
    return won, empty


def test_only_an_unsuccessful_close_is_a_step_of_the_notice(two_lots, monkeypatch):
    """A lot with a provisional winner goes on to its award (a step of its own): its close publishes
    nothing; a lot without any bid is unsuccessful, a step of the notice's open data."""
    won, empty = two_lots
    published = []
    monkeypatch.setattr(ocds, "step_happened", published.append)

    assert services.close_room(won.lot.pk).status == "closed"
    assert services.close_room(empty.lot.pk).status == "closed"
    assert published == []  # a follow-up of the close, not in its transaction
    assert run_after_close_jobs() == 2

    won.lot.refresh_from_db()
    empty.lot.refresh_from_db()
    assert (won.lot.status, empty.lot.status) == ("closed", "unsuccessful")
    assert published == [empty.lot.tender_id]


def test_a_sweep_settles_the_watchdog_once_for_all_the_lots_it_closes(two_lots, monkeypatch):
    looked = []
    look = watchdog.look
    monkeypatch.setattr(watchdog, "look", lambda *args: looked.append(args) or look(*args))

    assert services.sweep() == {"opened": 0, "closed": 2}
    assert len(looked) == 1
