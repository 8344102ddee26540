"""Every Redis channel and cache key carries the deployment's prefix: two deployments may share a Redis."""

from django.core.cache.backends.base import BaseCache

from seei.auctions import events
from tests.security import settings_probe


def test_the_prefix_comes_from_site_url_unless_given(tmp_path):
    names = ["SEEI_REDIS_PREFIX", "CACHES"]
    values, errors = settings_probe.load(
        tmp_path, names, SITE_URL="http://127.0.0.1:8600", REDIS_URL="redis://r"
    )
    assert values["SEEI_REDIS_PREFIX"] == "seei:127.0.0.1:8600", errors
    assert values["CACHES"]["default"]["KEY_PREFIX"] == "seei:127.0.0.1:8600"
    assert values["CACHES"]["portal"]["KEY_PREFIX"] == "seei:127.0.0.1:8600"
    values, errors = settings_probe.load(tmp_path, names, SEEI_REDIS_PREFIX="staging", REDIS_URL="redis://r")
    assert values["SEEI_REDIS_PREFIX"] == "staging", errors
    assert values["CACHES"]["default"]["KEY_PREFIX"] == "staging"


def test_a_lots_channel_carries_the_prefix(settings):
    settings.SEEI_REDIS_PREFIX = "seei:staging.example"
    assert events.channel(42) == "seei:staging.example:lot:42"
    assert events.lot_of_channel(events.channel(42).encode()) == 42
    settings.SEEI_REDIS_PREFIX = "seei:seei.example"
    assert events.channel(42) != "seei:staging.example:lot:42"
    cache = BaseCache({"KEY_PREFIX": settings.SEEI_REDIS_PREFIX})
    assert cache.make_key("portal:generation").startswith("seei:seei.example:")
