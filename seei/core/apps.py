from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "seei.core"
    label = "core"
