from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "seei.transparency"
    label = "transparency"
