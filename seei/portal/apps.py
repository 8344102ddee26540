from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "seei.portal"
    label = "portal"

    def ready(self):
        from seei.portal import cache

        cache.connect_signals()
