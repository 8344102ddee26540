from django.contrib import admin

from seei.alerts.models import Notification, Subscription

admin.site.register(Notification, list_display=["subject", "user", "created_at", "read_at"])
admin.site.register(Subscription, list_display=["company", "category"])
