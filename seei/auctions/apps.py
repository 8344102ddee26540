from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "seei.auctions"
    label = "auctions"

    def ready(self):
        from seei.auctions import flood

        flood.connect()  # who is admitted to a lot is cached on the bid path
