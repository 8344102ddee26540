from django.urls import path

from seei.help import views

app_name = "help"
urlpatterns = [
    path("", views.index, name="index"),
    path("contact/", views.contact, name="contact"),
    path("<slug:slug>/", views.guide, name="guide"),
]
