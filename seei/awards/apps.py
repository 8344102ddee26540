from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "seei.awards"
    label = "awards"
