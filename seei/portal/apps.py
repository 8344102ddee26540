from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "seei.portal"
    label = "portal"
