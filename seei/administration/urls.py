from django.urls import path

from seei.administration import views

app_name = "administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/<str:kind>/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/perimeter/", views.perimeter, name="perimeter"),
    path("registrations/", views.registrations, name="registrations"),
    path("registrations/<int:pk>/approve/", views.approve, name="approve"),
    path("registrations/<int:pk>/reject/", views.reject, name="reject"),
    path("announcements/", views.announcement_list, name="announcements"),
    path("announcements/new/", views.announcement_create, name="announcement_create"),
    path("announcements/<int:pk>/", views.announcement_edit, name="announcement_edit"),
    path("announcements/<int:pk>/end/", views.announcement_end, name="announcement_end"),
    path("announcements/<int:pk>/dismiss/", views.announcement_dismiss, name="announcement_dismiss"),
]
