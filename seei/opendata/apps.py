from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "seei.opendata"
    label = "opendata"
