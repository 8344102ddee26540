from django.apps import AppConfig


class RedflagsConfig(AppConfig):
    name = "seei.redflags"
    label = "redflags"
