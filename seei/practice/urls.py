from django.urls import path

from seei.practice import views

app_name = "practice"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("lots/<int:lot_id>/join/", views.join, name="join"),
    path("procedures/start/", views.start_procedure, name="start_procedure"),
]
