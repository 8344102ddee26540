from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "seei.practice"
    label = "practice"
