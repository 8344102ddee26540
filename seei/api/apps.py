from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "seei.api"
    label = "api"
