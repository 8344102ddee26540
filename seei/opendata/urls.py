from django.urls import path

from seei.opendata import views

app_name = "opendata"
urlpatterns = [
    path("", views.public_statistics, name="statistics"),
    path("statistics.csv", views.public_csv, name="csv"),
    path("mine/", views.buyer_statistics, name="mine"),
    path("mine/statistics.csv", views.buyer_csv, name="mine_csv"),
]
