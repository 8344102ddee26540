from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "seei.applications"
    label = "applications"
