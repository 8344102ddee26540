from django.apps import AppConfig


class TendersConfig(AppConfig):
    name = "seei.tenders"
    label = "tenders"
