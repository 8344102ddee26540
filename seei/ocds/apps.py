from django.apps import AppConfig


class OcdsConfig(AppConfig):
    name = "seei.ocds"
    label = "ocds"
