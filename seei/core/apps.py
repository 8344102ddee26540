from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "seei.core"
    label = "core"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        from seei.core import audit, redaction
        from seei.core.sealed_admin import audit_break_glass_changes

        m2m_changed.connect(audit_break_glass_changes, sender=get_user_model().groups.through)
        audit.connect_login_signals()
        redaction.install()  # tokens out of the access logs, in every process
