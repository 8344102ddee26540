from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "seei.core"
    label = "core"

    def ready(self):
        from seei.core import redaction

        redaction.install()  # tokens out of the access logs, in every process
