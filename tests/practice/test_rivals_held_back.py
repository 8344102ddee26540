"""A simulated rival held back by the flood guard (seei.auctions.flood) looks again later, as a person
would: the worker's step goes on."""

import random
from datetime import timedelta

import pytest

from seei.auctions.models import Room
from seei.practice import services

from .test_practice import open_now

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rival_held_back_by_the_limits_does_not_stop_the_step(company, clock, settings):
    settings.SEEI_BID_LIMIT_PER_LOT = (1, 3600.0)  # one attempt on the lot, then 429s for an hour
    lot = services.start(services.PracticeSettings(minutes=3, rivals=4), owner=company.organisation)
    open_now(lot, clock)
    opened = Room.objects.get(lot=lot).seq
    rng = random.Random(7)

    for _ in range(20):
        next_at = services.rivals_step(lot.pk, rng)  # flood.Throttled never escapes it
        assert next_at is not None
        clock.advance(max(next_at - clock.now(), timedelta(milliseconds=10)))

    assert Room.objects.get(lot=lot).seq <= opened + 1  # at most the one attempt let through
