from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "seei.core"
    label = "core"

    def ready(self):
        from seei.core import audit

        audit.connect_login_signals()
