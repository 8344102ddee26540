from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "seei.companies"
    label = "companies"
