from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "seei.auctions"
    label = "auctions"
