from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "seei.accounts"
    label = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from seei.accounts.twofactor import services

        user_logged_in.connect(services.on_login, dispatch_uid="seei.second_factor.login")
