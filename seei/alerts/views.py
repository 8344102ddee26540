"""The person's notifications, in the language they read them in."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import get_language

from seei.accounts.views import url_in_language
from seei.alerts.models import Notification
from seei.core import clock


@login_required
def notifications(request):
    page = Paginator(request.user.notifications.all(), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    # Seen now: mark them read in the database; the objects in hand keep read_at=None, so the
    # page can still point out which ones are new.
    unread = [notification.pk for notification in shown if notification.read_at is None]
    if unread:
        Notification.objects.filter(pk__in=unread, read_at__isnull=True).update(read_at=clock.now())
    for notification in shown:
        notification.link = url_in_language(notification.url, get_language()) if notification.url else ""
    return render(request, "alerts/notifications.html", {"page": page, "notifications": shown})
