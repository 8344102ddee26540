import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seei.settings")
from seei.auctions import watchdog  # noqa: E402
from seei.ops.endpoints import with_health  # noqa: E402  (/healthz, /readyz before Django)

_pages = get_wsgi_application()


def _watched(environ, start_response):
    """A page process takes API bids: its watcher (started at its first request, after any fork) keeps
    them waiting while an outage is not recorded yet, as in a room process."""
    watchdog.watch()
    return _pages(environ, start_response)


application = with_health(_watched)
