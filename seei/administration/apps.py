from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "seei.administration"
    label = "administration"

    def ready(self):
        from seei.administration import announcements

        announcements.connect_signals()
