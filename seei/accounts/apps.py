from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "seei.accounts"
    label = "accounts"
