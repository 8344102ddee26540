from django.urls import path

from seei.auctions import views

app_name = "auctions"
urlpatterns = [
    path("lots/<int:lot_id>/", views.enter, name="enter"),
    path("lots/<int:lot_id>/room/", views.room, name="room"),
    path("lots/<int:lot_id>/watch/", views.watch, name="watch"),
    path("lots/<int:lot_id>/replay/", views.replay, name="replay"),
    path("public-key/", views.public_key, name="public_key"),
    path("incident/", views.incident, name="incident"),
    path("incident/suspend/", views.suspend, name="suspend"),
    path("incident/resume/", views.resume, name="resume"),
]
