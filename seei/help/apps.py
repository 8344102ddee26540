from django.apps import AppConfig


class HelpConfig(AppConfig):
    name = "seei.help"
    label = "help"
