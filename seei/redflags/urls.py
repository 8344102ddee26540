from django.urls import path

from seei.redflags import views

app_name = "redflags"
urlpatterns = [path("", views.red_flags, name="list")]
