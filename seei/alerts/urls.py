from django.urls import path

from seei.alerts import feeds, views

app_name = "alerts"
urlpatterns = [
    path("", views.profiles, name="profiles"),
    path("new/", views.profile_new, name="profile_new"),
    path("<int:pk>/", views.profile_edit, name="profile_edit"),
    path("<int:pk>/delete/", views.profile_delete, name="profile_delete"),
    path("emails/resume/", views.resume_emails, name="resume_emails"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("feed/", feeds.SearchFeed(), name="feed"),
]
