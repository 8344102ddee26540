from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "seei.alerts"
    label = "alerts"
